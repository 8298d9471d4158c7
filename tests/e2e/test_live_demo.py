"""`make demo`'s live camera in Chromium: while the overview is open, "people now" and today's footfall rise, and
the camera page shows the runner's annotated frame, refreshed."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import needs_chromium, sign_in
from tests.e2e.seed import PASSWORD

pytestmark = needs_chromium


def _number(page, metric: str) -> int:
    text = page.locator(f"[data-metric='{metric}']").first.inner_text().strip().replace(",", "")
    return int(text) if text.isdigit() else 0


@pytest.mark.django_db(transaction=True)
def test_live_demo_overview_rises_while_the_page_is_open(live_server, page, settings, tmp_path, shots):
    from django.contrib.auth import get_user_model

    from tests.factories import StoreFactory
    from workers import leases
    from workers.demo import LiveDemoCamera, demo_live_prepare

    settings.CAMERA_ALLOW_FILE_SOURCES = True  # what scripts/demo.py sets for its own process
    settings.MEDIA_ROOT = tmp_path / "media"
    store = StoreFactory(store_id="store_demo_001", name="Demo Store", timezone="UTC")
    user = get_user_model().objects.create_user("demo-viewer", password=PASSWORD)
    store.organization.members.add(user)
    camera = demo_live_prepare(store, tmp_path / "demo")

    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/stores/{store.store_id}/")
    page.wait_for_selector("body[data-live-loaded='1']")
    people_before, footfall_before = _number(page, "people_in_store"), _number(page, "footfall_in")
    live = LiveDemoCamera(camera, client=leases.LocalLeases(), annotate_every_s=1.0).start()
    try:
        people_max, footfall = people_before, footfall_before
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (people_max > people_before and footfall > footfall_before):
            time.sleep(1.0)
            people_max = max(people_max, _number(page, "people_in_store"))
            footfall = _number(page, "footfall_in")
        shots(page, "20_live_demo_overview")
        assert people_max > people_before, "people now never rose"
        assert footfall > footfall_before, "today's footfall never rose"

        page.goto(f"{live_server.url}/cameras/{camera.pk}/")
        page.wait_for_selector("#live-view:not([hidden])", timeout=20000)
        page.wait_for_function("Number(document.getElementById('live-frame').dataset.frames || 0) >= 2",
                               timeout=20000)  # refreshed, not a one-off
        assert page.evaluate("document.getElementById('live-frame').naturalWidth") > 0
        shots(page, "21_live_demo_camera")
        assert page.js_errors == []
    finally:
        assert live.stop(timeout=30)
