"""The zone editor in Chromium: mouse clicks on the screenshot draw zones and the entrance line, saved via the API."""

from __future__ import annotations

from tests.e2e.conftest import assert_accessible_basics, needs_chromium, sign_in
from tests.e2e.seed import FLOOR_GREY, SHOT_SIZE, screenshot_png
from zones.models import EntranceLine, Zone

CANVAS = "#editor-canvas"


pytestmark = needs_chromium


def open_editor(page, live_server, seed):
    sign_in(page, live_server.url, seed.alice.username)
    page.goto(f"{live_server.url}/cameras/{seed.floor.pk}/zones/")
    page.wait_for_selector(f"{CANVAS}[data-ready='1']")


def click_at(page, fractions):
    """Click the canvas at fractions of its displayed size; returns the expected screenshot coordinates."""
    box = page.locator(CANVAS).bounding_box()
    expected = []
    for fx, fy in fractions:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        expected.append((fx * SHOT_SIZE[0], fy * SHOT_SIZE[1]))
    return expected


def pixel(page, x, y):
    return page.evaluate(
        "([x, y]) => Array.from(document.querySelector('#editor-canvas').getContext('2d')"
        ".getImageData(x, y, 1, 1).data)",
        [x, y],
    )


def test_draw_a_zone_save_it_and_see_it_listed_and_drawn(live_server, page, seed, shots):
    open_editor(page, live_server, seed)
    # A spot of plain floor, before anything is drawn there.
    assert pixel(page, 700, 450) == [*FLOOR_GREY, 255]

    expected = click_at(page, [(0.45, 0.50), (0.65, 0.50), (0.65, 0.75), (0.45, 0.75)])
    assert page.locator("#point-count").inner_text() == "4 points"
    page.get_by_label("Name", exact=True).fill("Fresh produce")
    page.get_by_label("Type", exact=True).select_option("checkout")
    shots(page, "10_zone_editor_drawing")
    page.get_by_role("button", name="Save zone").click()
    page.wait_for_selector("#editor-msg:has-text('Saved zone')")

    zone = Zone.objects.get(camera=seed.floor, name="Fresh produce")
    assert zone.ztype == "checkout" and zone.zone_id == "fresh_produce"
    assert (zone.screenshot_width, zone.screenshot_height) == SHOT_SIZE
    for (x, y), (ex, ey) in zip(zone.polygon, expected, strict=True):
        assert abs(x - ex) <= 2 and abs(y - ey) <= 2, (zone.polygon, expected)
    # Listed in the table, drawn on the picture (the floor grey is tinted with the zone colour).
    assert page.locator('#zone-rows tr[data-zone-id="fresh_produce"]').count() == 1
    assert pixel(page, 700, 450) != [*FLOOR_GREY, 255]
    shots(page, "11_zone_editor_saved")
    assert_accessible_basics(page)

    # The camera's pipeline config (what the worker loads) now has the zone.
    config = page.request.get(f"{live_server.url}/api/cameras/{seed.floor.pk}/config").json()
    assert "fresh_produce" in config["zones"] and config["zone_types"]["fresh_produce"] == "checkout"

    # Rename and retype from the table.
    row = page.locator('#zone-rows tr[data-zone-id="fresh_produce"]')
    row.get_by_label("Name of fresh_produce").fill("Fruit and veg")
    row.get_by_label("Type of Fresh produce").select_option("general")
    row.get_by_role("button", name="Save changes to Fresh produce").click()
    page.wait_for_selector("#editor-msg:has-text('Saved “Fruit and veg”')")
    zone.refresh_from_db()
    assert (zone.name, zone.ztype) == ("Fruit and veg", "general")

    # Move a corner: drag the first point in "Move points" mode.
    page.locator("label[for=mode-move]").click()
    box = page.locator(CANVAS).bounding_box()
    start = (box["x"] + 0.45 * box["width"], box["y"] + 0.50 * box["height"])
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] - 0.05 * box["width"], start[1] - 0.05 * box["height"], steps=5)
    page.mouse.up()
    page.wait_for_selector("#editor-msg:has-text('Moved a point')")
    zone.refresh_from_db()
    assert abs(zone.polygon[0][0] - 0.40 * SHOT_SIZE[0]) <= 3 and abs(zone.polygon[0][1] - 0.45 * SHOT_SIZE[1]) <= 3

    # Delete it (confirmed in the browser's dialog).
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#zone-rows tr[data-zone-id="fresh_produce"]').get_by_role("button", name="Delete zone").click()
    page.wait_for_selector("#editor-msg:has-text('Deleted')")
    assert not Zone.objects.filter(pk=zone.pk).exists()
    assert not page.js_errors, page.js_errors


def test_invalid_polygon_is_refused_with_the_api_message(live_server, page, seed, shots):
    open_editor(page, live_server, seed)
    before = Zone.objects.filter(camera=seed.floor).count()
    # A bow tie: the second edge crosses the fourth.
    click_at(page, [(0.40, 0.40), (0.60, 0.70), (0.60, 0.40), (0.40, 0.70)])
    page.get_by_label("Name", exact=True).fill("Crossed")
    page.get_by_role("button", name="Save zone").click()
    alert = page.locator("#editor-error")
    alert.wait_for(state="visible")
    text = alert.inner_text()
    assert "Zone not saved" in text and "polygon_json" in text and "edges must not cross" in text
    assert page.get_by_role("alert").filter(has_text="edges must not cross").is_visible()
    shots(page, "12_zone_editor_invalid")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots(page, "14_zone_editor_phone", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert Zone.objects.filter(camera=seed.floor).count() == before

    # Two points are not a polygon either; the message names the field.
    page.get_by_role("button", name="Clear").click()
    click_at(page, [(0.1, 0.1), (0.2, 0.2)])
    page.get_by_role("button", name="Save zone").click()
    page.wait_for_selector("#editor-error:has-text('needs at least 3 points')")
    assert Zone.objects.filter(camera=seed.floor).count() == before


def test_draw_the_entrance_line_with_its_inside_side(live_server, page, seed, shots):
    open_editor(page, live_server, seed)
    page.locator("label[for=mode-line]").click()
    expected = click_at(page, [(0.30, 0.85), (0.70, 0.85), (0.50, 0.60)])
    page.get_by_role("button", name="Save entrance line").click()
    page.wait_for_selector("#editor-msg:has-text('Saved the entrance line')")
    line = EntranceLine.objects.get(camera=seed.floor)
    got = [[line.start_x, line.start_y], [line.end_x, line.end_y], [line.inside_x, line.inside_y]]
    for (x, y), (ex, ey) in zip(got, expected, strict=True):
        assert abs(x - ex) <= 2 and abs(y - ey) <= 2
    assert "inside towards" in page.locator("#line-summary").inner_text()
    shots(page, "13_zone_editor_line")
    config = page.request.get(f"{live_server.url}/api/cameras/{seed.floor.pk}/config").json()
    assert config["inside_point"] == [round(expected[2][0]), round(expected[2][1])]


def test_upload_a_screenshot_then_draw_by_keyboard(live_server, page, seed, tmp_path):
    """A camera without a picture: upload one, then enter points in the text box (the keyboard route)."""
    sign_in(page, live_server.url, seed.alice.username)
    page.goto(f"{live_server.url}/cameras/{seed.door.pk}/zones/")
    page.wait_for_selector(f"{CANVAS}[data-ready='1']")
    assert page.locator("#stage-empty").is_visible()
    picture = tmp_path / "door.png"
    picture.write_bytes(screenshot_png((960, 540)))
    page.get_by_label("Picture from this camera (PNG or JPEG)").set_input_files(str(picture))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload screenshot").click()
    page.wait_for_selector(f"{CANVAS}[data-ready='1']")
    assert page.locator("#shot-size").inner_text() == "Current: 960 × 540 px"
    assert page.evaluate("document.querySelector('#editor-canvas').width") == 960

    page.get_by_label("Name", exact=True).fill("Doorway")
    page.get_by_label("Type", exact=True).select_option("entry")
    page.get_by_role("textbox", name="Points").fill("[[100, 100], [300, 100], [300, 300]]")
    page.get_by_role("textbox", name="Points").press("Tab")
    page.get_by_role("button", name="Save zone").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#editor-msg:has-text('Saved zone')")
    zone = Zone.objects.get(camera=seed.door, zone_id="doorway")
    assert zone.polygon == [[100, 100], [300, 100], [300, 300]]
    assert (zone.screenshot_width, zone.screenshot_height) == (960, 540)
    assert not page.js_errors, page.js_errors


def test_take_the_screenshot_from_the_camera_stream(live_server, page, seed, tmp_path):
    import functools
    import http.server
    import threading

    import cv2
    import numpy as np

    clip = tmp_path / "door.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 5, (640, 360))
    for i in range(6):
        frame = np.full((360, 640, 3), 90 + 10 * i, dtype=np.uint8)
        writer.write(frame)
    writer.release()
    door = seed.door
    door.rtsp_url = "rtsp://127.0.0.1:9/nothing-listens-here"
    door.save()

    sign_in(page, live_server.url, seed.alice.username)
    page.goto(f"{live_server.url}/cameras/{door.pk}/zones/")
    page.get_by_role("button", name="Take a picture from the camera").click()
    # one message whatever failed (refused, unreachable, no frame): the button is no port scanner
    page.wait_for_selector("#editor-error:has-text('No picture taken: rtsp_url: could not read a frame')")
    assert "refused" not in page.locator("#editor-error").inner_text()

    # a stream the server may open (http, never file://): the clip served over HTTP
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    door.rtsp_url = f"http://127.0.0.1:{server.server_address[1]}/door.avi"
    door.save()
    page.reload()
    try:
        with page.expect_navigation():
            page.get_by_role("button", name="Take a picture from the camera").click()
    finally:
        server.shutdown()
    page.wait_for_selector(f"{CANVAS}[data-ready='1']")
    assert page.locator("#shot-size").inner_text() == "Current: 640 × 360 px"
    shot = door.screenshots.get()
    assert (shot.width, shot.height) == (640, 360)
    assert not page.js_errors, page.js_errors
