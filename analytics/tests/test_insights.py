"""Insights with the real `openai` client against a stub chat-completions server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from analytics.insights import insight_generate, insight_payload, insight_rules
from analytics.models import DailyMetric, Insight, Promotion, SpikeAlert
from analytics.services import store_range_aggregate
from analytics.tasks import store_insight_generate_task
from analytics.tests.analytics_factories import entrance, make_store, make_user, queue, utc, zone

pytestmark = pytest.mark.django_db

END = dt.date(2025, 10, 14)
ANSWER = {
    "title": "Footfall up on the previous week",
    "summary": "1771 visitors came, more than the week before.",
    "recommendations": [{"text": "Add a cashier on Saturdays.", "priority": "high"}],
    "cited_numbers": [
        {"label": "footfall", "value": 1771, "unit": "people"},
        {"label": "made up", "value": 123456.0, "unit": "people"},
    ],
}


def _completion(answer) -> dict:
    content = answer if isinstance(answer, str) else json.dumps(answer)
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub-model-1",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class StubOpenAI:
    """Scripted replies: each item is (status, body dict, headers) or ("sleep", seconds, reply)."""

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                stub.requests.append(
                    {
                        "path": self.path,
                        "body": json.loads(self.rfile.read(length) or b"{}"),
                        "auth": self.headers.get("authorization"),
                    }
                )
                item = stub.script.pop(0) if len(stub.script) > 1 else stub.script[0]
                if item[0] == "sleep":
                    time.sleep(item[1])
                    item = item[2]
                status, body, headers = item
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


OK = (200, _completion(ANSWER), {})
ERROR_500 = (500, {"error": {"message": "boom", "type": "server_error"}}, {})
RATE_LIMITED = (429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after-ms": "20"})


@pytest.fixture
def store_with_data():
    store = make_store("store_insight", cameras=[("cam_door", ["entrance"]), ("cam_zone", ["zones"])])
    for n in range(14):
        day = END - dt.timedelta(days=13 - n)
        DailyMetric.objects.create(
            store=store, scope="store", scope_id="", date=day, footfall_in=200 + 10 * n, served=50, wait_avg=150.0
        )
        DailyMetric.objects.create(
            store=store, scope="zone", scope_id="electronics", date=day, entries=80, dwell_avg=40.0
        )
    # Real events with person keys and a real aggregation: none of it may reach the model.
    t = utc(2025, 10, 14, 12)
    entrance(store, t, person_key="secret-person-17")
    zone(store, t, person_key="secret-person-17")
    queue(store, t, person_key="secret-person-18", camera_key="cam_door")
    store_range_aggregate(store, t, t + dt.timedelta(hours=1))
    SpikeAlert.objects.create(
        store=store,
        start=utc(2025, 10, 13, 15),
        end=utc(2025, 10, 13, 16),
        metric="footfall",
        observed=90,
        expected=30,
        score=6.1,
        direction="up",
        kind="traffic",
    )
    Promotion.objects.create(
        store=store,
        name="Weekend Sale",
        start_date=dt.date(2025, 10, 11),
        end_date=END,
        analysis={
            "metrics": {"footfall": {"uplift_pct": 12.5, "ci_low": 3.0, "ci_high": 21.0}},
            "verdict": "The promotion worked.",
        },
    )
    return store


@pytest.fixture
def openai_settings(settings):
    def configure(base_url):
        settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
        settings.OPENAI_BASE_URL = base_url
        settings.OPENAI_RETRY_BASE_SECONDS = 0.01
        settings.OPENAI_MAX_RETRIES = 3
        settings.OPENAI_TIMEOUT_SECONDS = 5.0
        return settings

    return configure


def test_structured_output_request_and_stored_insight(store_with_data, openai_settings):
    with StubOpenAI([OK]) as stub:
        openai_settings(stub.base_url)
        insight = insight_generate(store_with_data, END)
    assert insight.source == Insight.Source.OPENAI and insight.model_name == "stub-model-1"
    assert insight.title == ANSWER["title"] and insight.recommendations[0]["priority"] == "high"
    assert len(stub.requests) == 1
    request = stub.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test-not-a-real-key"
    fmt = request["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert set(fmt["json_schema"]["schema"]["required"]) == {"title", "summary", "recommendations", "cited_numbers"}
    sent = json.dumps(request["body"])
    assert "secret-person" not in sent and "image" not in sent.lower() and "rtsp" not in sent.lower()
    data = json.loads(request["body"]["messages"][1]["content"])
    # Six generated days plus the last day, recomputed from its single real entrance event.
    assert data["totals"]["footfall"] == sum(200 + 10 * n for n in range(7, 13)) + 1 == 1771
    assert data["promotions"][0]["footfall_uplift_pct"] == 12.5
    assert data["spikes"][0]["observed"] == 90
    # Citations are checked against what was sent.
    cited = {c["label"]: c["in_input"] for c in insight.cited_numbers}
    assert cited == {"footfall": True, "made up": False}


def test_rate_limit_and_server_error_are_retried(store_with_data, openai_settings):
    with StubOpenAI([RATE_LIMITED, ERROR_500, OK]) as stub:
        openai_settings(stub.base_url)
        insight = insight_generate(store_with_data, END)
    assert len(stub.requests) == 3
    assert insight.source == Insight.Source.OPENAI and insight.error == ""


def test_timeout_is_retried(store_with_data, openai_settings):
    with StubOpenAI([("sleep", 1.5, OK), OK]) as stub:
        settings = openai_settings(stub.base_url)
        settings.OPENAI_TIMEOUT_SECONDS = 0.3
        insight = insight_generate(store_with_data, END)
    assert len(stub.requests) == 2
    assert insight.source == Insight.Source.OPENAI


def test_permanent_failure_falls_back_to_rules_and_the_job_completes(store_with_data, openai_settings):
    with StubOpenAI([ERROR_500]) as stub:
        openai_settings(stub.base_url)
        pk = store_insight_generate_task.run(store_with_data.pk, END.isoformat())
    insight = Insight.objects.get(pk=pk)
    assert len(stub.requests) == 4  # 1 + OPENAI_MAX_RETRIES
    assert insight.source == Insight.Source.RULES and "after 4 attempts" in insight.error
    assert insight.title and insight.recommendations and insight.cited_numbers


@pytest.mark.parametrize(
    "reply",
    [
        (400, {"error": {"message": "bad schema", "type": "invalid_request_error"}}, {}),
        (200, _completion("this is not json"), {}),
        (200, _completion({"title": "x"}), {}),
    ],
)
def test_unusable_answers_fall_back_without_retrying(store_with_data, openai_settings, reply):
    with StubOpenAI([reply]) as stub:
        openai_settings(stub.base_url)
        insight = insight_generate(store_with_data, END)
    assert len(stub.requests) == 1
    assert insight.source == Insight.Source.RULES and insight.error


def test_rules_without_key_are_deterministic_and_cite_input_numbers(store_with_data, settings):
    settings.OPENAI_API_KEY = ""
    payload = insight_payload(store_with_data, END)
    assert insight_rules(payload) == insight_rules(payload)
    insight = insight_generate(store_with_data, END)
    assert insight.source == Insight.Source.RULES and insight.error == ""
    assert all(c["in_input"] for c in insight.cited_numbers)
    footfall = payload["totals"]["footfall"]
    assert {"label": "footfall", "value": footfall, "unit": "people", "in_input": True} in insight.cited_numbers
    assert str(footfall) in insight.summary
    texts = " ".join(r["text"] for r in insight.recommendations)
    assert "checkout" in texts  # average wait 150 s ≥ 120 s
    assert "Weekend Sale" in insight.summary


def test_on_demand_endpoint_stores_and_lists(store_with_data, settings, client):
    settings.OPENAI_API_KEY = ""
    _user, token = make_user("analyst", org=store_with_data.organization)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.post(
        "/api/analytics/insights",
        {"store_id": "store_insight", "end_date": END.isoformat()},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "rules" and body["trigger"] == "on_demand" and body["period_end"] == END.isoformat()
    listed = client.get("/api/analytics/insights?store_id=store_insight", **auth).json()
    assert [i["id"] for i in listed["insights"]] == [body["id"]]
    bad = client.post("/api/analytics/insights", {"days": 99}, content_type="application/json", **auth)
    assert bad.status_code == 400 and bad.json()["error"].startswith("days")
