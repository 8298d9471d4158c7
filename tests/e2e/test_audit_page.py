"""The entrance audit page in Chromium: play the window's evidence, mark two crossings with the keyboard, submit,
and read the result (the system's crossings come from the stored events, matched within ±2 s)."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
from django.utils import timezone

from audits import evidence
from audits.models import Audit
from events.models import EntranceEvent
from tests.e2e.conftest import needs_chromium, sign_in
from tests.e2e.seed import PASSWORD
from tests.factories import CameraFactory, EntranceLineFactory, OrganizationFactory, StoreFactory, UserFactory
from vision.evidence import encode_jpeg

pytestmark = needs_chromium
FRAMES = 20  # one a second


def make_audit(user):
    organization = OrganizationFactory()
    organization.members.add(user)
    organization.admins.add(user)
    camera = CameraFactory(store=StoreFactory(organization=organization), camera_id="door_cam")
    EntranceLineFactory(camera=camera)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    audit = Audit.objects.create(camera=camera, kind="entrance", start=start, end=start + dt.timedelta(seconds=FRAMES))
    writer = evidence.EvidenceWriter(audit.pk)
    for i in range(FRAMES):
        image = np.full((270, 480, 3), 40 + 9 * i, np.uint8)
        ts = (start + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        writer.write(encode_jpeg(image), {"seq": i, "ts": ts, "t": i, "file": f"frames/{i:06d}.jpg", "zones": {},
                                          "boxes": [], "events": []})
    for seconds, direction in ((3.4, "in"), (10.2, "out")):
        EntranceEvent.objects.create(event_id=uuid.uuid4(), store=camera.store, camera=camera,
                                     camera_key=camera.camera_id, ts=start + dt.timedelta(seconds=seconds),
                                     direction=direction, source="central")
    return audit


def clock(page) -> float:
    return float(page.locator("#clock").inner_text().split()[0])


def test_play_mark_two_crossings_with_the_keyboard_submit_and_see_the_result(live_server, page, transactional_db,
                                                                             settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = UserFactory(username="auditor")
    user.set_password(PASSWORD)
    user.save()
    audit = make_audit(user)
    sign_in(page, live_server.url, "auditor")
    page.goto(f"{live_server.url}/audits/{audit.pk}/")
    page.wait_for_function("document.querySelector('#evidence-note').textContent.includes('20 frames')")
    assert page.locator("#totals-box").is_hidden()

    # play at 8×, then pause: the clock moved
    page.locator("#speed").select_option("8")
    page.locator("#audit-canvas").focus()
    page.keyboard.press("Space")
    page.wait_for_function("parseFloat(document.querySelector('#clock').textContent) >= 3")
    page.keyboard.press("Space")
    assert page.locator("#play").inner_text() == "Play"
    played_to = clock(page)
    assert played_to >= 3
    for _ in range(int(played_to)):
        page.keyboard.press("ArrowLeft")
    assert clock(page) == 0

    # frame steps and marks from the keyboard: in at 3 s, out at 10 s
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("i")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    assert page.locator("#marks li").count() == 2
    assert "in at 3.0 s" in page.locator("#marks li").nth(0).inner_text()
    assert "out at 10.0 s" in page.locator("#marks li").nth(1).inner_text()

    page.locator("#submit").click()
    page.wait_for_selector("#result-card:not([hidden])")
    rows = {row.get_attribute("data-row"): [c.inner_text() for c in row.locator("td").all()][1:]
            for row in page.locator("#result-table tr").all()}
    assert rows["System"] == ["1", "1"] and rows["Human"] == ["1", "1"], rows
    assert rows["Accuracy"] == ["100.0%", "100.0%"]
    assert rows["Recall / precision (±2 s)"] == ["100.0%", "100.0%"]
    assert page.locator("#audit-status").inner_text() == "done"
    audit.refresh_from_db()
    assert audit.status == "done" and audit.result["matching"]["matched"] == 2
    assert not evidence.evidence_exists(audit.pk)  # finishing deleted the frames
    assert page.js_errors == []
