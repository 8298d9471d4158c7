"""Project-level checks: settings helpers, schema, admin pages, management commands, migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS

from common import env
from tests.factories import CameraFactory, EntranceLineFactory, ZoneFactory

REPO = Path(__file__).resolve().parent.parent


class TestEnvHelpers:
    def test_bool_int_float_fail_loudly(self, monkeypatch):
        monkeypatch.setenv("X_BOOL", "perhaps")
        with pytest.raises(env.EnvError, match="X_BOOL"):
            env.env_bool("X_BOOL", False)
        monkeypatch.setenv("X_INT", "12a")
        with pytest.raises(env.EnvError, match="X_INT"):
            env.env_int("X_INT", 1)
        monkeypatch.setenv("X_INT", "0")
        with pytest.raises(env.EnvError, match=">= 1"):
            env.env_int("X_INT", 1, minimum=1)
        monkeypatch.setenv("X_FLOAT", "fast")
        with pytest.raises(env.EnvError, match="X_FLOAT"):
            env.env_float("X_FLOAT", 1.0)

    def test_values_and_defaults(self, monkeypatch):
        monkeypatch.setenv("X_BOOL", "Yes")
        monkeypatch.setenv("X_LIST", "a.example, b.example,,")
        monkeypatch.delenv("X_MISSING", raising=False)
        assert env.env_bool("X_BOOL", False) is True
        assert env.env_list("X_LIST", []) == ["a.example", "b.example"]
        assert env.env_int("X_MISSING", 7) == 7
        with pytest.raises(env.EnvError, match="X_MISSING is required"):
            env.env_str("X_MISSING")


def run_manage(*args: str, extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(extra_env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_settings_refuse_to_start_without_secret_key_in_production():
    result = run_manage("check", extra_env={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_settings_reject_malformed_variable():
    result = run_manage("check", extra_env={"DEBUG": "true", "FRAME_RATE": "lots"})
    assert result.returncode != 0
    assert "FRAME_RATE" in result.stderr


def test_embedded_default_is_sqlite(tmp_path):
    environment = {"DEBUG": "true", "WINK_VAR_DIR": str(tmp_path)}
    script = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = run_manage("shell", "-c", script, extra_env={**environment, "DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.db.backends.sqlite3"


@pytest.mark.django_db
def test_openapi_schema_generates_and_lists_guide_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/cameras", "/api/zones/screenshot", "/api/zones"]:
        assert any(p.rstrip("/") == path for p in paths), path
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_admin_pages_render_and_mask_rtsp_password(admin_user, client):
    client.force_login(admin_user)
    camera = CameraFactory(rtsp_url="rtsp://admin:topsecret@10.1.2.3/stream")
    ZoneFactory(camera=camera)
    EntranceLineFactory(camera=camera)
    for name in ["organization", "store", "camera", "camerascreenshot", "edgekey"]:
        assert client.get(reverse(f"admin:cameras_{name}_changelist")).status_code == 200, name
    for name in ["zone", "entranceline"]:
        assert client.get(reverse(f"admin:zones_{name}_changelist")).status_code == 200, name
    for name in ["promotion", "hourlymetric", "spikealert", "insight"]:
        assert client.get(reverse(f"admin:analytics_{name}_changelist")).status_code == 200, name
    for name in ["entranceevent", "zoneevent", "shelfevent", "queueevent", "stalehour"]:
        assert client.get(reverse(f"admin:events_{name}_changelist")).status_code == 200, name
    changelist = client.get(reverse("admin:cameras_camera_changelist")).content.decode()
    change_page = client.get(reverse("admin:cameras_camera_change", args=[camera.pk])).content.decode()
    assert "topsecret" not in changelist and "topsecret" not in change_page
    assert "admin:***@10.1.2.3" in changelist
    search = client.get(reverse("admin:cameras_camera_changelist"), {"q": camera.camera_id})
    assert camera.camera_id in search.content.decode()


@pytest.mark.django_db
def test_admin_keeps_rtsp_url_when_field_left_empty(admin_user, client):
    client.force_login(admin_user)
    camera = CameraFactory(rtsp_url="rtsp://admin:topsecret@10.1.2.3/stream")
    url = reverse("admin:cameras_camera_change", args=[camera.pk])
    response = client.post(url, {
        "store": camera.store.pk, "camera_id": camera.camera_id, "name": "Renamed", "enabled": "on",
        "capabilities": '["entrance"]', "rtsp_url": "", "frame_rate": "", "detection_interval": "",
        "min_dwell_seconds": "2.0", "anchor": "foot",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    camera.refresh_from_db()
    assert camera.name == "Renamed"
    assert camera.rtsp_url == "rtsp://admin:topsecret@10.1.2.3/stream"


@pytest.mark.django_db
def test_issue_admin_token_creates_user_and_token(capsys):
    call_command("issue_admin_token", "it-person")
    key = capsys.readouterr().out.strip()
    token = AuthToken.objects.get(token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH])
    assert token.digest == hash_token(key)  # stored as a digest, never in clear
    assert token.user.username == "it-person" and token.user.is_staff
    # Shown once: a second call issues another token (the first cannot be printed again) and both work
    call_command("issue_admin_token", "it-person")
    second = capsys.readouterr().out.strip()
    assert second != key and AuthToken.objects.filter(user=token.user).count() == 2
    call_command("issue_admin_token", "it-person", "--rotate")  # --rotate revokes the earlier ones
    third = capsys.readouterr().out.strip()
    assert third not in {key, second}
    assert list(AuthToken.objects.filter(user=token.user).values_list("digest", flat=True)) == [hash_token(third)]


@pytest.mark.django_db
def test_issued_token_authorises_guide_calls(client, capsys):
    call_command("issue_admin_token", "it-person")
    key = capsys.readouterr().out.strip()
    response = client.post("/api/cameras", {"name": "Door"}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201


@pytest.mark.django_db
def test_sync_beat_schedules_mirrors_code(monkeypatch):
    from celery.schedules import crontab

    from common import schedules

    monkeypatch.setattr(schedules, "BEAT_SCHEDULE", {
        "every-ten-seconds": {"task": "workers.tasks.supervise_cameras_task", "schedule": 10.0},
        "hourly": {"task": "analytics.tasks.aggregate_hourly_task", "schedule": crontab(minute=5)},
    })
    call_command("sync_beat_schedules")
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__startswith="wink:")}
    assert tasks["wink:every-ten-seconds"].interval.every == 10
    assert tasks["wink:hourly"].crontab.minute == "5"
    monkeypatch.setattr(schedules, "BEAT_SCHEDULE", {"hourly": schedules.BEAT_SCHEDULE["hourly"]})
    call_command("sync_beat_schedules")
    assert PeriodicTask.objects.get(name="wink:every-ten-seconds").enabled is False


def test_declared_schedules_are_valid():
    from common.schedules import BEAT_SCHEDULE

    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"].endswith("_task"), name
        assert "schedule" in entry, name


def test_celery_app_is_configured_for_json_and_camera_queue():
    from wink.celery import app

    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_routes["workers.tasks.run_camera_task"]["queue"] == "cameras"
