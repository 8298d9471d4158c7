"""The per-store switch of the uniform model (issue #17): off by default; on, the runner's frame loop gets the stage."""

from __future__ import annotations

import pytest

from cameras.models import Camera, Organization, Store
from vision.uniform import UniformStage, store_uniform_model
from workers import selectors
from workers.runner import CameraRunner

pytestmark = pytest.mark.django_db


def test_store_switch_gives_the_runner_a_uniform_stage_sharing_the_store_model():
    org = Organization.objects.create(name="Uniform org", slug="uniform-org")
    store = Store.objects.create(organization=org, store_id="store_uniform", name="U")
    assert store.staff_uniform_model is False
    cameras = [Camera.objects.create(store=store, camera_id=f"cam_u{i}", name=f"U{i}") for i in (1, 2)]
    runners = []
    for camera in cameras:
        runner = CameraRunner(camera.pk)
        runner.camera = selectors.camera_for_runner(camera.pk)
        runner._build(reopen=False)
        assert runner.driver.uniform is None  # off by default
        runners.append(runner)
    Store.objects.filter(pk=store.pk).update(staff_uniform_model=True)
    for runner in runners:
        runner.camera = selectors.camera_for_runner(runner.camera_pk)
        runner._build(reopen=False)
        assert isinstance(runner.driver.uniform, UniformStage)
    # One model per store, learned by all its cameras.
    assert runners[0].driver.uniform.model is runners[1].driver.uniform.model is store_uniform_model("store_uniform")
