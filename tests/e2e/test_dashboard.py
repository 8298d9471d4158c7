"""Sign-in, the store overview against the live API, tenancy, analytics pages and the camera page, in Chromium."""

from __future__ import annotations

import csv
import io

from tests.e2e.conftest import assert_accessible_basics, needs_chromium, sign_in

pytestmark = needs_chromium


def wait_live(page) -> None:
    page.wait_for_selector("body[data-live-loaded='1']")


def test_sign_in_lands_on_overview_whose_numbers_match_the_api(live_server, page, seed, shots):
    page.goto(f"{live_server.url}/stores/{seed.store.store_id}/")
    assert "/accounts/login/" in page.url  # anonymous visitors are sent to sign in
    shots(page, "01_login")

    sign_in(page, live_server.url, seed.alice.username, "wrong-password")
    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")

    sign_in(page, live_server.url, seed.alice.username)
    # A member of one store lands on its overview.
    assert page.url.rstrip("/").endswith(f"/stores/{seed.store.store_id}")
    wait_live(page)
    shots(page, "02_overview")
    assert_accessible_basics(page)

    api = page.request.get(f"{live_server.url}/api/dashboard/live?store_id={seed.store.store_id}")
    assert api.ok, api.text()
    live = api.json()

    def metric(name):
        return page.locator(f'dd[data-metric="{name}"]').inner_text().strip()

    footfall = live["footfall"]
    footfall_in = footfall["in"] if isinstance(footfall, dict) else footfall
    footfall_out = footfall["out"] if isinstance(footfall, dict) else live["footfall_out"]
    # The seeded figures, so that "page == API" cannot pass with both empty.
    assert (footfall_in, footfall_out) == (seed.footfall_in, seed.footfall_out)
    assert metric("footfall_in") == str(footfall_in)
    assert metric("footfall_out") == str(footfall_out)
    realtime = page.request.get(f"{live_server.url}/api/analytics/realtime?store_id={seed.store.store_id}").json()
    # In minus out at the door (7 - 3), and the cameras' live view (6) as the second line.
    assert metric("people_in_store") == str(realtime["people_in_store"]) == "4"
    assert metric("people_in_view") == f"{live['people_now']} in view of cameras" == "6 in view of cameras"
    # Today against the same weekday last week, from the realtime API.
    last_week = realtime["footfall_same_weekday_last_week"]
    compare = metric("footfall_compare")
    assert compare.startswith(f"Same weekday last week: {last_week:,}")
    if realtime["change_pct"] is not None:
        assert f"{realtime['change_pct']:+.1f}%".replace("+-", "-") in compare
    hourly_rows = page.locator("#hourly-table tbody tr")
    assert hourly_rows.count() == len(realtime["hourly"]) == 24  # one row per hour of the store-local day
    for hour in realtime["hourly"]:
        cells = page.locator(f'#hourly-table tr[data-hour="{hour["hour"]}"] td').all_text_contents()
        assert cells == [str(hour["footfall"]) if hour["footfall"] is not None else "–", str(hour["last_week"])]
    assert page.locator("#hourly-chart svg rect.bar").count() > 0
    # Recent spikes and the latest insight come from their APIs too.
    assert "Saturday traffic peaked at 15:00" in page.locator("#insight-list").inner_text()
    assert "Spike" in page.locator("#spike-list").inner_text()

    for zone_id, numbers in live["zones"].items():
        row = page.locator(f'#zone-table tr[data-id="{zone_id}"]')
        assert row.locator('[data-field="entries"]').inner_text() == str(numbers["entries"])
        assert row.locator('[data-field="unique_visitors"]').inner_text() == str(numbers["unique_visitors"])
    assert live["zones"]["electronics"]["entries"] == 5
    shelf = page.locator('#shelf-table tr[data-id="shelf_promo"] [data-field="interactions"]').inner_text()
    assert shelf == str(live["shelves"]["shelf_promo"]["interactions"]) == "4"
    served = page.locator('#queue-table tr[data-id="checkout"] [data-field="served"]').inner_text()
    assert served == str(live["queues"]["checkout"]["served"]) == "3"

    # Camera status comes from the API too: the door camera missed its heartbeats.
    door_status = page.locator('#camera-table tr[data-camera="cam_door"] [data-field="status"]').inner_text()
    assert door_status.lower() == {c["camera_id"]: c for c in live["cameras"]}["cam_door"]["status"] == "offline"

    # New events show up without a reload: the page polls the API.
    from events.models import EntranceEvent
    from tests.e2e.seed import _base

    door = seed.door
    EntranceEvent.objects.create(direction="in", **_base(seed.store, door, seed.event_ts, "late"))
    page.evaluate("window.WinkOverview.refresh()")
    expected = seed.footfall_in + 1
    page.wait_for_function(
        f"document.querySelector('dd[data-metric=\"footfall_in\"]').textContent.trim() === '{expected}'"
    )
    assert not page.js_errors, page.js_errors

    # The same page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    wait_live(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= 390, f"the overview scrolls sideways on a phone ({width}px wide): {wide}"
    shots(page, "03_overview_phone")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.goto(f"{live_server.url}/stores/{seed.store.store_id}/").url.endswith(
        f"/accounts/login/?next=/stores/{seed.store.store_id}/"
    )


def test_a_user_of_another_organisation_is_refused(live_server, page, seed, shots):
    sign_in(page, live_server.url, seed.bob.username)
    # Bob's own store is all he sees.
    assert page.url.rstrip("/").endswith(f"/stores/{seed.other_store.store_id}")
    for path in (f"/stores/{seed.store.store_id}/", f"/stores/{seed.store.store_id}/trends/",
                 f"/stores/{seed.store.store_id}/export/daily.csv", f"/cameras/{seed.floor.pk}/",
                 f"/cameras/{seed.floor.pk}/zones/", f"/cameras/{seed.floor.pk}/screenshot"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
        if path.startswith("/stores/") and path.endswith(f"{seed.store.store_id}/"):
            assert "belongs to a store your account cannot see" in page.content()
            assert seed.store.name not in page.content()
            shots(page, "09_other_org_refused")
    api = page.request.get(f"{live_server.url}/api/zones?camera_id={seed.floor.pk}")
    assert api.status == 400 and "camera_id" in api.json()["error"]
    live = page.request.get(f"{live_server.url}/api/dashboard/live?store_id={seed.store.store_id}")
    assert live.status in (400, 403, 404)


def test_analytics_pages_and_csv_export(live_server, page, seed, shots):
    sign_in(page, live_server.url, seed.alice.username)
    base = f"{live_server.url}/stores/{seed.store.store_id}"

    page.goto(f"{base}/trends/")
    assert page.locator('[data-chart="footfall"] svg rect.bar').count() == 20  # 20 seeded days out of 30
    # The page renders the selector behind POST /api/analytics/comprehensive: the totals agree.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    api = page.request.post(f"{live_server.url}/api/analytics/comprehensive", headers={"X-CSRFToken": csrf},
                            data={"store_id": seed.store.store_id, "days": 30, "include_zones": True})
    assert api.ok, api.text()
    total = api.json()["totals"]["footfall"]
    assert page.locator('[data-total="footfall"]').inner_text() == str(total) and total > 2000
    shots(page, "05_trends")
    assert_accessible_basics(page)

    page.goto(f"{base}/spikes/")
    traffic = page.locator('#spike-table tr[data-kind="traffic"][data-metric="footfall"]')
    assert traffic.count() == 1 and "Spike" in traffic.inner_text() and "80" in traffic.inner_text()
    faults = page.locator('#spike-table tr[data-kind="data_fault"]')
    assert faults.count() >= 1 and "Data fault" in faults.first.inner_text()
    assert "no_heartbeat" in page.locator("#spike-table").inner_text()
    # The outage hour is not reported as a drop in traffic.
    assert page.locator('#spike-table tr[data-kind="traffic"]').filter(has_text="Drop").count() == 0
    coverage = page.locator('[data-field="coverage"]').inner_text()
    assert coverage.endswith("%") and coverage != "100%"
    shots(page, "06_spikes")
    assert_accessible_basics(page)

    page.goto(f"{base}/promotions/")
    verdict = page.locator('[data-field="verdict"]').inner_text()
    assert verdict.startswith("The promotion worked: footfall rose")  # seeded about +35 % on promotion days
    promo_chart = page.locator("[data-promo-chart] svg")
    assert promo_chart.locator("rect.band").count() == 5  # the five promotion days are shaded
    assert promo_chart.locator("rect.bar").count() > 5
    shots(page, "07_promotions")
    assert_accessible_basics(page)

    page.goto(f"{base}/insights/")
    assert page.get_by_role("heading", name="Saturday traffic peaked at 15:00").is_visible()
    shots(page, "08_insights")
    assert_accessible_basics(page)

    daily = page.request.get(f"{base}/export/daily.csv?scope=store")
    assert daily.ok and daily.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(daily.text())))
    assert len(rows) == 20 and {r["scope"] for r in rows} == {"store"}
    today = seed_today(seed)
    hourly = page.request.get(f"{base}/export/hourly.csv?from={today}&to={today}&scope=store")
    hourly_rows = list(csv.DictReader(io.StringIO(hourly.text())))
    assert [int(r["local_hour"]) for r in hourly_rows] == [9, 10, 11, 12]
    assert hourly_rows[0]["footfall_in"] == "19"
    bad = page.request.get(f"{base}/export/daily.csv?from=yesterday")
    assert bad.status == 400 and bad.text().startswith("from:")
    assert not page.js_errors, page.js_errors


def test_camera_page_draws_zones_line_and_heatmap(live_server, page, seed, shots):
    sign_in(page, live_server.url, seed.alice.username)
    page.goto(f"{live_server.url}/cameras/{seed.floor.pk}/")
    page.wait_for_selector("#camera-canvas[data-ready='1']")
    shots(page, "04_camera")
    assert_accessible_basics(page)
    # Inside the seeded "Electronics" zone the screenshot's grey is tinted; the heatmap colours where people stood.
    inside = canvas_pixel(page, "#camera-canvas", 150, 250)
    assert inside != floor_grey_rgba()
    with_heat = canvas_pixel(page, "#camera-canvas", 270, 400)
    page.get_by_role("checkbox", name="Heatmap").uncheck()
    without_heat = canvas_pixel(page, "#camera-canvas", 270, 400)
    assert with_heat != without_heat
    assert "650 foot positions" in page.locator("#heatmap-note").inner_text()
    # Today's zone counts agree with the live dashboard API.
    live = page.request.get(f"{live_server.url}/api/dashboard/live?store_id={seed.store.store_id}").json()
    entries = page.locator('tr[data-zone="electronics"] [data-field="entries"]').inner_text()
    assert entries == str(live["zones"]["electronics"]["entries"]) == "5"
    assert page.locator('[data-metric="camera-people"]').inner_text() == "6"
    assert page.locator("#camera-status").inner_text() == "Online"
    page.goto(f"{live_server.url}/cameras/{seed.door.pk}/")
    assert page.locator("#camera-status").inner_text() == "Offline"  # two hours without a heartbeat
    assert not page.js_errors, page.js_errors


def seed_today(seed) -> str:
    from django.utils import timezone

    return timezone.localtime(timezone.now(), seed.store.tzinfo).date().isoformat()


def floor_grey_rgba():
    from tests.e2e.seed import FLOOR_GREY

    return [*FLOOR_GREY, 255]


def canvas_pixel(page, selector: str, x: int, y: int) -> list[int]:
    """The RGBA of a canvas pixel, in the canvas' own (screenshot) coordinates."""
    return page.evaluate(
        "([sel, x, y]) => Array.from(document.querySelector(sel).getContext('2d').getImageData(x, y, 1, 1).data)",
        [selector, x, y],
    )
