"""CSV preview (nothing written), mapping remembered per store, upload, and `manage.py import_pos` twice."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from analytics.tests.analytics_factories import make_store, make_user
from events.models import StaleHour
from pos.models import PosStoreSettings, PosTransaction

pytestmark = pytest.mark.django_db

TILL_CSV = """Receipt,Date,Total,Curr,Qty
R-1,2025-10-01T10:00:00Z,10.00,EUR,1
R-2,2025-10-01T10:20:00Z,abc,EUR,1
R-3,2025-10-01T11:00:00Z,-4.00,EUR,1
R-4,1999-01-01T00:00:00Z,5.00,EUR,1
R-5,2025-10-01T12:00:00Z,7.50,EUR
R-6,2025-10-01T12:30:00Z,8.00,GBP,2
"""
MAPPING = {"mapping": {"transaction_id": "Receipt", "ts": "Date", "amount": "Total", "currency": "Curr",
                       "items": "Qty"}}


@pytest.fixture
def setup():
    store = make_store("csv_store", tz="Europe/Berlin")
    _, token = make_user("carol", org=store.organization)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return store, client


def upload(client, store_id, kind, text, options=None):
    data = {"file": SimpleUploadedFile("till.csv", text.encode(), content_type="text/csv")}
    if options is not None:
        data["options"] = json.dumps(options)
    return client.post(f"/api/pos/stores/{store_id}/csv/{kind}", data, format="multipart")


def test_preview_shows_first_rows_and_rejections_and_writes_nothing(setup):
    store, client = setup
    response = upload(client, "csv_store", "preview", TILL_CSV, MAPPING)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["columns"] == ["Receipt", "Date", "Total", "Curr", "Qty"]
    assert [row["transaction_id"] for row in body["rows"]] == ["R-1", "R-3"]
    assert body["rows"][0]["ts"] == "2025-10-01T10:00:00Z" and body["rows"][1]["amount"] == "-4.000"
    rejected = {item["line"]: item["field"] for item in body["result"]["rejected"]}
    # Line 6 lacks its last cell (Qty): a short row is rejected naming the missing field.
    assert rejected == {3: "amount", 5: "ts", 6: "items", 7: "currency"}
    assert body["result"]["accepted"] == 2
    assert not PosTransaction.objects.exists()
    assert not StaleHour.objects.exists()
    assert not PosStoreSettings.objects.filter(store=store).exclude(currency="").exists()


def test_upload_remembers_the_mapping_and_is_idempotent(setup):
    store, client = setup
    first = upload(client, "csv_store", "import", TILL_CSV, MAPPING)
    assert first.status_code == 201, first.content
    assert first.json()["result"]["accepted"] == 2
    assert PosStoreSettings.objects.get(store=store).csv_mapping["mapping"]["amount"] == "Total"
    # No options this time: the store's remembered mapping is used; nothing is stored twice.
    again = upload(client, "csv_store", "import", TILL_CSV)
    assert again.status_code == 200
    assert again.json()["result"]["duplicates"] == 2 and again.json()["result"]["accepted"] == 0
    assert again.json()["options"]["mapping"]["transaction_id"] == "Receipt"
    assert PosTransaction.objects.filter(store=store).count() == 2
    mapping = client.get("/api/pos/stores/csv_store/csv/mapping").json()
    assert mapping["store_currency"] == "EUR" and mapping["mapping"]["ts"] == "Date"
    changed = TILL_CSV.replace("R-1,2025-10-01T10:00:00Z,10.00", "R-1,2025-10-01T10:00:00Z,11.00")
    conflict = upload(client, "csv_store", "import", changed)
    assert conflict.status_code == 409
    assert conflict.json()["result"]["conflicts"] == ["R-1"]
    assert PosTransaction.objects.get(transaction_id="R-1").amount == Decimal("10.000")


def test_missing_column_names_the_header_row_and_field(setup):
    _, client = setup
    text = "Receipt,Date,Curr\nR-1,2025-10-01T10:00:00Z,EUR\n"
    response = upload(client, "csv_store", "preview", text, {"mapping": {**MAPPING["mapping"], "items": ""}})
    assert response.status_code == 400
    assert "row 1" in response.json()["error"] and "Total" in response.json()["error"]
    guessed = upload(client, "csv_store", "preview", text)
    assert guessed.status_code == 400 and "no column for" in guessed.json()["error"]


def test_naive_local_timestamps_and_header_guess(setup):
    store, client = setup
    text = "transaction_id,timestamp,amount,currency\nA,2025-10-26 02:30:00,5,EUR\nB,2025-07-01 12:00:00,1,EUR\n"
    response = upload(client, "csv_store", "import", text, {"naive_timestamps": "local"})
    assert response.status_code == 201, response.content
    stamps = dict(PosTransaction.objects.filter(store=store).values_list("transaction_id", "ts"))
    # Berlin: summer time (UTC+2) on 1 July; 02:30 on 26 October is the first (CEST) of the repeated hour.
    assert stamps["B"].isoformat() == "2025-07-01T10:00:00+00:00"
    assert stamps["A"].isoformat() == "2025-10-26T00:30:00+00:00"


def test_other_tenants_cannot_preview_or_import(setup):
    store, _ = setup
    intruder_store = make_store("csv_other")
    _, token = make_user("mallory", org=intruder_store.organization)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert upload(client, "csv_store", "import", TILL_CSV, MAPPING).status_code == 404
    assert upload(client, "csv_store", "preview", TILL_CSV, MAPPING).status_code == 404
    assert not PosTransaction.objects.filter(store=store).exists()


def test_import_pos_command_twice_stores_once(setup, tmp_path):
    store, _ = setup
    path = tmp_path / "till.csv"
    lines = ["transaction_id,ts,amount,currency,items"]
    lines += [f"T{i},2025-10-01T{8 + i % 10:02d}:{i % 60:02d}:00Z,{i % 50 - 5}.25,EUR,{i % 4}" for i in range(500)]
    lines.append("BAD,2025-10-01T10:00:00Z,x,EUR,1")
    path.write_text("\n".join(lines) + "\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_pos", str(path), "--store", "csv_store", stdout=out, stderr=err)
    assert "stored 500" in out.getvalue() and "1 rejected" in out.getvalue()
    assert "line 502: amount" in err.getvalue()
    assert StaleHour.objects.filter(store=store).count() == 10
    out = io.StringIO()
    call_command("import_pos", str(path), "--store", "csv_store", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "stored 0, 500 duplicates" in out.getvalue()
    assert PosTransaction.objects.filter(store=store).count() == 500
    revenue = sum(PosTransaction.objects.filter(store=store).values_list("amount", flat=True))
    assert revenue == sum(Decimal(f"{i % 50 - 5}.25") for i in range(500))
