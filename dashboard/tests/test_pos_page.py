"""The store's POS page: tenant-scoped, shows what is stored and carries the upload/preview endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from analytics.tests.analytics_factories import make_store, make_user
from pos.models import PosStoreSettings, PosTransaction

pytestmark = pytest.mark.django_db


def test_pos_page_is_scoped_to_the_organisation():
    store = make_store("pos_page")
    other = make_store("pos_page_other")
    user, _ = make_user("pos_page_user", org=store.organization)
    PosStoreSettings.objects.create(store=store, currency="EUR", csv_mapping={"mapping": {"amount": "Total"}})
    PosTransaction.objects.create(store=store, transaction_id="p1", ts=dt.datetime(2025, 1, 2, 10, tzinfo=dt.UTC),
                                  amount="3.000", currency="EUR")
    client = Client()
    client.force_login(user)
    page = client.get("/stores/pos_page/pos/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 transaction\n" in text and "from 2025-01-02 10:00" in text and "Currency: EUR" in text
    assert "/api/pos/stores/pos_page/csv/preview" in text and '"Total"' in text
    assert client.get(f"/stores/{other.store_id}/pos/").status_code == 404
    assert 'href="/stores/pos_page/pos/"' in client.get("/stores/pos_page/trends/").content.decode()
