"""AI insights: aggregates in, a structured insight out, stored with the numbers it cites.

What is sent: store slug/name/time zone and aggregate numbers only (daily totals, trends, zones,
queues, spikes, promotion results). Never images, person keys, camera URLs or anything per person.

With OPENAI_API_KEY the `openai` client asks for a JSON answer constrained by `INSIGHT_SCHEMA`
(structured outputs). Rate limits, timeouts, connection errors and 5xx are retried with exponential
backoff (honouring Retry-After); anything else, or running out of attempts, or an answer that does not
fit the schema, falls back to the deterministic rule-based generator, which writes the same structure.
The job never fails because of the model.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time

from django.conf import settings

from analytics.models import DailyMetric, Insight, Promotion, SpikeAlert
from audits.selectors import store_audited_accuracy
from cameras.localtime import local_day_bounds
from cameras.models import Store

logger = logging.getLogger(__name__)

INSIGHT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "summary", "recommendations", "cited_numbers"],
    "properties": {
        "title": {"type": "string", "description": "One line, at most 120 characters"},
        "summary": {"type": "string", "description": "Two to four sentences quoting the numbers"},
        "recommendations": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "priority"],
                "properties": {
                    "text": {"type": "string"},
                    "priority": {"type": "string", "enum": ["high", "medium", "low"]},
                },
            },
        },
        "cited_numbers": {
            "type": "array",
            "description": "Every number the insight relies on, copied from the input",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["label", "value", "unit"],
                "properties": {"label": {"type": "string"}, "value": {"type": "number"}, "unit": {"type": "string"}},
            },
        },
    },
}

SYSTEM_PROMPT = (
    "You are a retail analyst. From the store's aggregate metrics (JSON) write one insight for the store "
    "manager: what changed, why it matters and what to do. Quote only numbers present in the input and list "
    "each of them in cited_numbers. Give 1 to 4 concrete recommendations. Be brief and plain."
)

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


class InsightError(Exception):
    """The model's answer could not be obtained or used."""


# --- payload ------------------------------------------------------------------------------------


def _round(value, digits=1):
    return None if value is None else round(float(value), digits)


def _pos_day(row) -> dict:
    """A day's POS figures for the payload (GUIDE §2); None where the day has no POS data."""
    if row.transactions is None:
        return {"transactions": None, "revenue": None, "conversion_pct": None}
    return {"transactions": row.transactions, "revenue": _round(float(row.revenue), 2),
            "conversion_pct": _round(row.conversion_rate * 100, 2) if row.conversion_rate is not None else None}


def _pos_period(rows) -> dict:
    covered = [r for r in rows if r.transactions is not None]
    transactions = sum(r.transactions for r in covered)
    footfall = sum(r.pos_footfall_in or 0 for r in covered)
    revenue = float(sum(r.revenue for r in covered)) if covered else None
    return {
        "transactions": transactions if covered else None,
        "revenue": _round(revenue, 2),
        "conversion_pct": _round(transactions / footfall * 100, 2) if covered and footfall else None,
        "avg_transaction_value": _round(revenue / transactions, 2) if covered and transactions else None,
        "days_with_pos_data": len(covered),
    }


def insight_payload(store: Store, end_date: dt.date, days: int = 7) -> dict:
    """Aggregate numbers of the `days` store-local days ending at `end_date` (nothing per person)."""
    start = end_date - dt.timedelta(days=days - 1)
    previous_start = start - dt.timedelta(days=days)
    rows = list(DailyMetric.objects.filter(store=store, date__gte=previous_start, date__lte=end_date))
    store_rows = sorted((r for r in rows if r.scope == "store" and r.date >= start), key=lambda r: r.date)
    previous = [r for r in rows if r.scope == "store" and r.date < start]
    daily = [
        {
            "date": r.date.isoformat(),
            "weekday": r.date.strftime("%A"),
            "footfall": r.footfall_in,
            "unique_visitors": r.unique_visitors,
            "zone_entries": r.entries,
            "shelf_interactions": r.interactions,
            "queue_served": r.served,
            "avg_queue_wait_s": _round(r.wait_avg),
            "p90_queue_wait_s": _round(r.wait_p90),
            "peak_occupancy": r.peak_occupancy,
            "footfall_dod_pct": _round(r.footfall_dod_pct),
            "footfall_wow_pct": _round(r.footfall_wow_pct),
            "footfall_vs_same_weekday_4w_pct": _round(r.footfall_vs_weekday_avg_pct),
            **_pos_day(r),
        }
        for r in store_rows
    ]
    footfall = sum(r.footfall_in for r in store_rows)
    previous_footfall = sum(r.footfall_in for r in previous)
    served = sum(r.served for r in store_rows)
    wait_weighted = sum((r.wait_avg or 0) * r.served for r in store_rows)
    zones: dict[str, dict] = {}
    for r in rows:
        if r.scope in ("zone", "shelf", "queue") and r.date >= start:
            item = zones.setdefault(
                f"{r.scope}:{r.scope_id}", {"scope": r.scope, "id": r.scope_id, "count": 0, "_w": 0.0}
            )
            count = {"zone": r.entries, "shelf": r.interactions, "queue": r.served}[r.scope]
            average = r.wait_avg if r.scope == "queue" else r.dwell_avg
            item["count"] += count
            item["_w"] += (average or 0) * count
    areas = []
    for item in sorted(zones.values(), key=lambda i: -i["count"]):
        weighted = item.pop("_w")
        item["avg_seconds"] = _round(weighted / item["count"]) if item["count"] else None
        areas.append(item)
    period_start, _ = local_day_bounds(store, start)
    _, period_end = local_day_bounds(store, end_date)
    spikes = [
        {
            "start_local": s.start.astimezone(store.tzinfo).strftime("%Y-%m-%d %H:%M"),
            "metric": s.metric,
            "scope": s.scope_id,
            "observed": _round(s.observed),
            "expected": _round(s.expected),
            "direction": s.direction,
            "kind": s.kind,
        }
        for s in SpikeAlert.objects.filter(store=store, start__gte=period_start, start__lt=period_end).order_by(
            "start"
        )[:10]
    ]
    promotions = []
    for promo in Promotion.objects.filter(
        store=store, end_date__gte=start - dt.timedelta(days=14), start_date__lte=end_date
    ):
        analysis = promo.analysis or {}
        footfall_result = (analysis.get("metrics") or {}).get("footfall") or {}
        promotions.append(
            {
                "name": promo.name,
                "start": promo.start_date.isoformat(),
                "end": promo.end_date.isoformat(),
                "footfall_uplift_pct": footfall_result.get("uplift_pct"),
                "ci_low": footfall_result.get("ci_low"),
                "ci_high": footfall_result.get("ci_high"),
                "verdict": analysis.get("verdict"),
            }
        )
    return {
        "store": {"store_id": store.store_id, "name": store.name, "timezone": store.timezone},
        "period": {"start": start.isoformat(), "end": end_date.isoformat(), "days": days},
        "totals": {
            "footfall": footfall,
            "footfall_previous_period": previous_footfall,
            "footfall_change_pct": _round((footfall - previous_footfall) / previous_footfall * 100)
            if previous_footfall
            else None,
            "queue_served": served,
            "avg_queue_wait_s": _round(wait_weighted / served) if served else None,
            "days_with_data": len(store_rows),
            **_pos_period(store_rows),
        },
        "daily": daily,
        "areas": areas[:10],
        "spikes": spikes,
        "promotions": promotions,
        "audited_accuracy": store_audited_accuracy(store),  # count audits (audits/): how far to trust the counts
    }


# --- rule-based generator -----------------------------------------------------------------------


def insight_rules(payload: dict) -> dict:
    """Deterministic insight with the same structure as the model's (used without a key or on failure)."""
    totals = payload["totals"]
    cited = []
    recommendations = []

    def cite(label, value, unit):
        if value is not None:
            cited.append({"label": label, "value": value, "unit": unit})

    period = f"{payload['period']['start']} to {payload['period']['end']}"
    if not totals["days_with_data"]:
        return {
            "title": "No data for this period yet",
            "summary": f"No aggregated metrics exist for {period}; check that the cameras are sending events.",
            "recommendations": [{"text": "Check camera status and the ingestion health endpoint.", "priority": "high"}],
            "cited_numbers": [],
        }
    change = totals["footfall_change_pct"]
    cite("footfall", totals["footfall"], "people")
    sentences = [f"{totals['footfall']} visitors entered from {period}"]
    if change is not None:
        cite("footfall previous period", totals["footfall_previous_period"], "people")
        cite("footfall change", change, "%")
        sentences[0] += f", {change:+.1f}% against the {payload['period']['days']} days before"
        title = f"Footfall {'up' if change >= 0 else 'down'} {abs(change):.1f}% on the previous period"
    else:
        title = f"{totals['footfall']} visitors in the last {payload['period']['days']} days"
    sentences[0] += "."
    daily = payload["daily"]
    if daily:
        best = max(daily, key=lambda d: d["footfall"])
        cite(f"busiest day ({best['weekday']} {best['date']})", best["footfall"], "people")
        sentences.append(f"The busiest day was {best['weekday']} {best['date']} with {best['footfall']} visitors.")
        recommendations.append(
            {
                "text": f"Plan staff and stock for {best['weekday']}s, the busiest day ({best['footfall']} visitors).",
                "priority": "medium",
            }
        )
    wait = totals["avg_queue_wait_s"]
    if wait is not None:
        cite("average queue wait", wait, "s")
        sentences.append(f"Customers waited {wait:.0f} s on average at the queues ({totals['queue_served']} served).")
        if wait >= 120:
            recommendations.append(
                {"text": f"Open another checkout at busy hours: the average wait is {wait:.0f} s.", "priority": "high"}
            )
    areas = [a for a in payload["areas"] if a["scope"] == "zone" and a["count"]]
    if areas:
        top = areas[0]
        cite(f"zone {top['id']} entries", top["count"], "visits")
        sentences.append(f"Zone {top['id']} drew the most visits ({top['count']}).")
        if top["avg_seconds"] is not None:
            cite(f"zone {top['id']} average dwell", top["avg_seconds"], "s")
        recommendations.append(
            {
                "text": f"Place promoted products near {top['id']}, the most visited zone ({top['count']} visits).",
                "priority": "low",
            }
        )
    if totals.get("conversion_pct") is not None:
        cite("conversion", totals["conversion_pct"], "%")
        cite("transactions", totals["transactions"], "transactions")
        average = totals.get("avg_transaction_value")
        sentences.append(f"Conversion was {totals['conversion_pct']:.1f}% ({totals['transactions']} transactions"
                         + (f", {average:.2f} on average" if average is not None else "") + ").")
    drops = [s for s in payload["spikes"] if s["kind"] == "conversion"]
    if drops:
        first = drops[0]
        cite(f"transactions at {first['start_local']} (observed)", first["observed"], "transactions")
        cite(f"transactions at {first['start_local']} (expected at the usual conversion)", first["expected"],
             "transactions")
        recommendations.append({
            "text": f"Conversion fell while footfall held ({len(drops)} period(s), e.g. {first['start_local']}: "
                    f"{first['observed']:.0f} transactions against {first['expected']:.0f} expected): check staffing "
                    "at the tills and stock-outs then.",
            "priority": "high",
        })
    faults = [s for s in payload["spikes"] if s["kind"] == "data_fault"]
    traffic = [s for s in payload["spikes"] if s["kind"] == "traffic"]
    if traffic:
        first = traffic[0]
        cite(f"{first['metric']} at {first['start_local']} (observed)", first["observed"], "people")
        cite(f"{first['metric']} at {first['start_local']} (expected)", first["expected"], "people")
        sentences.append(
            f"{len(traffic)} unusual traffic period(s), e.g. {first['start_local']}: "
            f"{first['observed']:.0f} against {first['expected']:.0f} expected."
        )
    if faults:
        cite("data faults", len(faults), "periods")
        recommendations.append(
            {
                "text": f"Check the cameras: {len(faults)} period(s) look like data faults, not real traffic changes.",
                "priority": "high",
            }
        )
    for promo in payload["promotions"]:
        if promo["footfall_uplift_pct"] is not None:
            cite(f"promotion {promo['name']} footfall uplift", promo["footfall_uplift_pct"], "%")
            sentences.append(
                f"Promotion {promo['name']}: footfall {promo['footfall_uplift_pct']:+.1f}% "
                f"(95% CI {promo['ci_low']:+.1f}% to {promo['ci_high']:+.1f}%)."
            )
    for audited in payload.get("audited_accuracy", []):  # count audits: cite the measured accuracy
        if audited["audits"]:
            if audited.get("in_accuracy_pct") is not None:
                cite(f"camera {audited['camera_id']} audited entrance accuracy (in)", audited["in_accuracy_pct"], "%")
            sentences.append(f"Camera {audited['camera_id']}: {audited['summary']}.")
        else:
            sentences.append(f"Camera {audited['camera_id']}: counts not audited yet.")
    if not recommendations:
        recommendations.append({"text": "Keep the current setup; no action needed this period.", "priority": "low"})
    return {
        "title": title[:300],
        "summary": " ".join(sentences),
        "recommendations": recommendations[:4],
        "cited_numbers": cited,
    }


# --- OpenAI -------------------------------------------------------------------------------------


def _validate(answer: dict) -> dict:
    if not isinstance(answer, dict):
        raise InsightError("answer is not a JSON object")
    for name, kind in (("title", str), ("summary", str), ("recommendations", list), ("cited_numbers", list)):
        if not isinstance(answer.get(name), kind):
            raise InsightError(f"answer field {name!r} is missing or not a {kind.__name__}")
    if not answer["title"].strip():
        raise InsightError("answer field 'title' is empty")
    recommendations = []
    for item in answer["recommendations"]:
        if isinstance(item, str):
            item = {"text": item, "priority": "medium"}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InsightError("a recommendation has no text")
        priority = item.get("priority") if item.get("priority") in ("high", "medium", "low") else "medium"
        recommendations.append({"text": item["text"], "priority": priority})
    cited = []
    for item in answer["cited_numbers"]:
        if (
            not isinstance(item, dict)
            or isinstance(item.get("value"), bool)
            or not isinstance(item.get("value"), (int, float))
        ):
            raise InsightError("a cited number has no numeric value")
        cited.append({"label": str(item.get("label", "")), "value": item["value"], "unit": str(item.get("unit", ""))})
    return {
        "title": answer["title"].strip()[:300],
        "summary": answer["summary"].strip(),
        "recommendations": recommendations,
        "cited_numbers": cited,
    }


def _payload_numbers(value, found: set[float]) -> set[float]:
    if isinstance(value, bool):
        return found
    if isinstance(value, (int, float)):
        found.add(float(value))
    elif isinstance(value, dict):
        for item in value.values():
            _payload_numbers(item, found)
    elif isinstance(value, list):
        for item in value:
            _payload_numbers(item, found)
    return found


def citations_check(cited: list[dict], payload: dict) -> list[dict]:
    """Mark each cited number `in_input` when it matches a number of the payload (to 0.5%)."""
    numbers = _payload_numbers(payload, set())
    for item in cited:
        value = float(item["value"])
        item["in_input"] = any(abs(value - n) <= max(0.05, abs(n) * 0.005) for n in numbers)
    return cited


def _retry_delay(error: Exception, attempt: int) -> float:
    base = float(getattr(settings, "OPENAI_RETRY_BASE_SECONDS", 1.0))
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            if headers.get(header) is not None:
                return min(float(headers[header]) * scale, 60.0)
        except (TypeError, ValueError):
            pass
    return min(base * (2**attempt) * (1 + random.random() * 0.25), 60.0)


def insight_openai(payload: dict) -> tuple[dict, str]:
    """Ask the model; returns (validated answer, model name). Raises InsightError when it cannot."""
    import openai

    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=float(getattr(settings, "OPENAI_TIMEOUT_SECONDS", 30.0)),
        max_retries=0,
    )
    attempts = 1 + int(getattr(settings, "OPENAI_MAX_RETRIES", 3))
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            response = client.chat.completions.create(
                model=settings.OPENAI_MODEL,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": json.dumps(payload, default=str)},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "store_insight", "strict": True, "schema": INSIGHT_SCHEMA},
                },
                temperature=0.2,
            )
        except (
            openai.RateLimitError,
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.InternalServerError,
        ) as error:
            last_error = error
        except openai.APIStatusError as error:
            if error.status_code not in RETRYABLE_STATUS:
                raise InsightError(f"OpenAI refused the request: HTTP {error.status_code}") from error
            last_error = error
        else:
            try:
                content = response.choices[0].message.content
                return _validate(json.loads(content or "")), response.model or settings.OPENAI_MODEL
            except (IndexError, AttributeError, json.JSONDecodeError) as error:
                raise InsightError(f"OpenAI answer is not the expected JSON: {error}") from error
        if attempt + 1 < attempts:
            delay = _retry_delay(last_error, attempt)
            logger.warning(
                "OpenAI call failed (%s); retry %d/%d in %.2fs",
                type(last_error).__name__,
                attempt + 1,
                attempts - 1,
                delay,
            )
            time.sleep(delay)
    raise InsightError(f"OpenAI failed after {attempts} attempts: {type(last_error).__name__}: {last_error}")


def insight_generate(store: Store, end_date: dt.date, days: int = 7, trigger: str = "daily") -> Insight:
    """Build the payload, ask OpenAI (or the rules), and store the insight. Never raises for model errors."""
    payload = insight_payload(store, end_date, days)
    source, model_name, error_text = Insight.Source.RULES, "", ""
    answer = None
    if settings.OPENAI_API_KEY:
        try:
            answer, model_name = insight_openai(payload)
            source = Insight.Source.OPENAI
        except InsightError as error:
            error_text = str(error)
            logger.warning("insight for %s falls back to rules: %s", store.store_id, error)
        except Exception as error:  # an unexpected client failure must not break the daily job either
            error_text = f"{type(error).__name__}: {error}"
            logger.exception("insight for %s falls back to rules", store.store_id)
    if answer is None:
        answer = insight_rules(payload)
    return Insight.objects.create(
        store=store,
        period_start=dt.date.fromisoformat(payload["period"]["start"]),
        period_end=end_date,
        title=answer["title"],
        summary=answer["summary"],
        recommendations=answer["recommendations"],
        cited_numbers=citations_check(answer["cited_numbers"], payload),
        source=source,
        model_name=model_name,
        trigger=trigger,
        payload=payload,
        error=error_text[:2000],
    )
