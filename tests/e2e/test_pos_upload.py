"""The store's POS page in Chromium: choose a CSV, Preview shows its first rows and what will be rejected (nothing
written yet), Import stores the good rows and shows the result."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_accessible_basics, needs_chromium, sign_in

pytestmark = needs_chromium

CSV = """Receipt,When,Total,Curr,Qty
R-1,2025-10-01T10:00:00Z,10.00,EUR,1
R-2,2025-10-01T10:20:00Z,ten,EUR,1
R-3,2025-10-01T11:00:00Z,-4.00,EUR,1
"""


@pytest.fixture
def shop(transactional_db):
    from django.contrib.auth import get_user_model

    from cameras.models import Organization, Store
    from tests.e2e.seed import PASSWORD

    user = get_user_model().objects.create_user(username="pat_pos", password=PASSWORD)
    org = Organization.objects.create(name="Till Retail", slug="till-retail")
    org.members.add(user)
    store = Store.objects.create(organization=org, store_id="store_till", name="Till Shop", timezone="Europe/Berlin")
    return user, store


def test_csv_upload_previews_then_imports(live_server, page, shop, shots, tmp_path):
    from pos.models import PosTransaction

    user, store = shop
    path = tmp_path / "till.csv"
    path.write_text(CSV)
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/stores/{store.store_id}/pos/")
    assert_accessible_basics(page)
    page.get_by_label("CSV file").set_input_files(str(path))
    # The header's columns fill the mapping; "When" and "Curr" are not names the server guesses: map them by hand
    # (the other fields keep the guess: Receipt, Total, Qty).
    page.wait_for_selector('select[data-field="ts"] option[value="When"]', state="attached")
    page.locator('select[data-field="ts"]').select_option("When")
    page.locator('select[data-field="currency"]').select_option("Curr")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_function("document.getElementById('pos-status').textContent.startsWith('Preview')"
                           " || document.getElementById('pos-status').textContent.startsWith('Cannot')")
    assert page.locator("#pos-status").inner_text().startswith("Preview"), page.locator("#pos-status").inner_text()
    rows = page.locator("#pos-preview-rows tbody tr")
    assert rows.count() == 2
    assert "R-1" in rows.nth(0).inner_text() and "-4.000" in rows.nth(1).inner_text()
    rejected = page.locator("#pos-preview-rejected tbody tr")
    assert rejected.count() == 1
    assert "amount" in rejected.nth(0).inner_text() and "3" in rejected.nth(0).inner_text()
    assert "Nothing has been written yet" in page.locator("#pos-status").inner_text()
    assert PosTransaction.objects.filter(store=store).count() == 0
    shots(page, "pos_preview")

    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("#pos-result-text")
    assert page.locator("#pos-result-text").inner_text() == "Imported: 2 stored, 0 duplicates, 1 rejected."
    assert PosTransaction.objects.filter(store=store).count() == 2
    assert page.js_errors == []
    # Reloaded, the page counts the stored rows and shows the remembered mapping for the next file.
    page.reload()
    assert "2 transactions" in page.locator("#pos-summary").inner_text()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.wait_for_selector('select[data-field="ts"] option[value="When"]', state="attached")
    assert page.locator('select[data-field="ts"]').input_value() == "When"
    assert page.locator('select[data-field="currency"]').input_value() == "Curr"
