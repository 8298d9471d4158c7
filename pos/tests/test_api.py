"""POS API: batches with good and bad rows, idempotency, 409 on changed content, hourly totals, tenancy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.tests.analytics_factories import make_store, make_user
from events.models import StaleHour
from pos.models import PosHourlyTotal, PosStoreSettings, PosTransaction

pytestmark = pytest.mark.django_db
URL = "/api/pos/transactions"


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def world():
    store = make_store("pos_a", tz="Asia/Kolkata")
    other = make_store("pos_b")
    _, token = make_user("alice", org=store.organization)
    _, token_b = make_user("bob", org=other.organization)
    return store, other, client_for(token), client_for(token_b)


def tx(tid, ts="2025-10-01T10:00:00Z", amount="12.50", currency="INR", store="pos_a", **extra):
    return {"transaction_id": tid, "store_id": store, "ts": ts, "amount": amount, "currency": currency,
            "items": 2, **extra}


def test_batch_stores_good_rows_and_names_row_and_field_of_bad_ones(world):
    store, _, api, _ = world
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    rows = [
        tx("t1"),
        tx("t2", store="nowhere"),
        tx("t3", ts="1999-12-31T23:59:59Z"),
        tx("t4", ts=future),
        tx("t5", amount="twelve"),
        tx("t6", currency="XYZ"),
        tx("t7", amount=-3.5),
        {"transaction_id": "t8", "store_id": "pos_a", "ts": "2025-10-01T10:05:00Z", "amount": 7, "currency": "inr",
         "items": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]},
    ]
    response = api.post(URL, {"transactions": rows}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accepted"] == 3 and body["duplicates"] == 0 and body["rejected_count"] == 5
    by_index = {item["index"]: item for item in body["rejected"]}
    assert by_index[1]["field"] == "store_id" and "nowhere" in by_index[1]["error"]
    assert by_index[2]["field"] == "ts" and "2000" in by_index[2]["error"]
    assert by_index[3]["field"] == "ts" and by_index[3]["code"] == "future_timestamp"
    assert by_index[4]["field"] == "amount" and "twelve" in by_index[4]["error"]
    assert by_index[5]["field"] == "currency" and "XYZ" in by_index[5]["error"]
    stored = dict(PosTransaction.objects.filter(store=store).values_list("transaction_id", "amount"))
    assert stored == {"t1": Decimal("12.5"), "t7": Decimal("-3.5"), "t8": Decimal("7")}
    assert PosTransaction.objects.get(transaction_id="t8").items == 3
    assert PosStoreSettings.objects.get(store=store).currency == "INR"
    # 10:00Z and 10:05Z are one Kolkata hour (15:30–16:30 local): one stale mark for the drain.
    assert list(StaleHour.objects.filter(store=store).values_list("hour_start", flat=True)) == [
        dt.datetime(2025, 10, 1, 9, 30, tzinfo=dt.UTC)
    ]


def test_resending_the_same_batch_counts_duplicates_and_changed_content_is_409_naming_it(world):
    store, _, api, _ = world
    rows = [tx("r1"), tx("r2", amount="5.00")]
    assert api.post(URL, rows, format="json").status_code == 201
    again = api.post(URL, rows, format="json")
    assert again.status_code == 200
    assert again.json()["duplicates"] == 2 and again.json()["accepted"] == 0
    changed = api.post(URL, [tx("r2", amount="6.00"), tx("r3")], format="json")
    assert changed.status_code == 409
    body = changed.json()
    assert body["conflicts"] == ["r2"] and "r2" in body["error"]
    assert body["accepted"] == 1  # r3, the good row, is stored
    assert PosTransaction.objects.get(store=store, transaction_id="r2").amount == Decimal("5.000")
    assert PosTransaction.objects.filter(store=store).count() == 3
    # Within one batch too: the same id twice with different content.
    clash = api.post(URL, [tx("r4"), tx("r4", amount="1.00")], format="json")
    assert clash.status_code == 409 and clash.json()["conflicts"] == ["r4"]


def test_same_id_in_two_stores_is_two_transactions(world):
    store, _, api, _ = world
    second = make_store("pos_a2", tz="UTC", org=store.organization)
    response = api.post(URL, [tx("same"), tx("same", store="pos_a2", amount="99", currency="INR")], format="json")
    assert response.status_code == 201 and response.json()["accepted"] == 2
    assert PosTransaction.objects.filter(transaction_id="same", store__in=[store, second]).count() == 2


def test_a_store_keeps_one_currency(world):
    _, _, api, _ = world
    assert api.post(URL, [tx("c1")], format="json").status_code == 201
    response = api.post(URL, [tx("c2", currency="EUR")], format="json")
    assert response.status_code == 400
    assert response.json()["rejected"][0]["field"] == "currency"
    assert "INR" in response.json()["rejected"][0]["error"]


def test_batch_limits_and_malformed_bodies(world):
    _, _, api, _ = world
    assert api.post(URL, {"transactions": [tx(f"x{i}") for i in range(1001)]}, format="json").status_code == 413
    assert api.post(URL, {"transactions": "nope"}, format="json").status_code == 400
    assert api.post(URL, {}, format="json").status_code == 400
    assert APIClient().post(URL, [tx("anon")], format="json").status_code in (401, 403)


def test_another_organisations_store_reads_as_unknown(world):
    store, _, api, api_b = world
    response = api_b.post(URL, [tx("intruder")], format="json")
    assert response.status_code == 400
    assert response.json()["rejected"][0]["field"] == "store_id"
    assert not PosTransaction.objects.filter(store=store).exists()
    assert api_b.get("/api/pos/stores/pos_a/csv/mapping").status_code == 404
    assert api.get("/api/pos/stores/pos_a/csv/mapping").status_code == 200


def test_hourly_totals_for_tills_that_export_only_those(world):
    store, _, api, _ = world
    url = "/api/pos/hourly-totals"
    # 04:30Z is 10:00 in Kolkata; 04:00Z is 09:30 local, not an hour start there.
    rows = [{"store_id": "pos_a", "hour": "2025-10-01T04:30:00Z", "transactions": 12, "revenue": "340.00",
             "currency": "INR"},
            {"store_id": "pos_a", "hour": "2025-10-01T04:00:00Z", "transactions": 1, "revenue": "1"},
            {"store_id": "pos_a", "hour": "2025-10-01T05:30:00Z", "transactions": -1, "revenue": "1"}]
    response = api.post(url, {"totals": rows}, format="json")
    assert response.status_code == 201, response.content
    rejected = {item["index"]: item["field"] for item in response.json()["rejected"]}
    assert rejected == {1: "hour", 2: "transactions"}
    # Re-sending an hour replaces it.
    rows[0]["transactions"] = 13
    assert api.post(url, [rows[0]], format="json").status_code == 201
    total = PosHourlyTotal.objects.get(store=store)
    assert (total.transactions, total.revenue) == (13, Decimal("340.000"))
