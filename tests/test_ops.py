"""Operations: deployment files, security settings, metrics, encryption at rest, backup/restore, retention."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from tests.factories import CameraFactory, StoreFactory, ZoneFactory

REPO = Path(__file__).resolve().parent.parent
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
GRAFANA_DIR = REPO / "deploy" / "grafana"

# Values a real operator would fill in; enough for docker-compose to interpolate every required variable.
COMPOSE_ENV = {
    "SITE_DOMAIN": "winkai.in", "API_DOMAIN": "api.winkai.in", "DASHBOARD_DOMAIN": "dashboard.winkai.in",
    "METRICS_DOMAIN": "metrics.winkai.in", "FLOWER_DOMAIN": "flower.winkai.in", "LETSENCRYPT_EMAIL": "ops@winkai.in",
    "POSTGRES_PASSWORD": "pg-secret", "GRAFANA_PASSWORD": "gf-secret", "METRICS_PASSWORD": "m-secret",
    "FLOWER_PASSWORD": "f-secret", "SECRET_KEY": "k" * 10 + "-not-a-real-secret-" + "q" * 40,
}


def _env_example_names() -> set[str]:
    names = set()
    for line in (REPO / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s?([A-Z][A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    return names


def _compose_dir(tmp_path: Path) -> Path:
    """docker-compose.yml, Dockerfile and a .env made from .env.example with the blanks filled in."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(REPO / name, tmp_path / name)
    lines = []
    for line in (REPO / ".env.example").read_text().splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={COMPOSE_ENV[key]}" if key in COMPOSE_ENV and not line.startswith("#") else line)
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    return tmp_path


# --- docker-compose and .env.example ------------------------------------------------------------------------

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose binary absent (Debian package docker-compose; scripts/ensure_services.sh installs it)",
)


@needs_compose
def test_docker_compose_config_accepts_the_file_with_all_profiles(tmp_path):
    project = _compose_dir(tmp_path)
    env = {**os.environ, "COMPOSE_PROFILES": "proxy,monitoring"}
    result = subprocess.run(["docker-compose", "config"], cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    expected = {"postgres", "redis", "migrate", "web", "worker", "camera-worker", "beat", "flower", "prometheus",
                "grafana", "nginx-proxy", "acme-companion", "proxy-auth"}
    assert expected <= set(services)
    # Scalable services must not pin a container name; beat must (exactly one).
    for name in ("web", "worker", "camera-worker"):
        assert "container_name" not in services[name], name
    assert services["beat"]["container_name"]
    beat_command = " ".join(services["beat"]["command"])
    assert "sync_beat_schedules" in beat_command and "DatabaseScheduler" in beat_command
    assert services["camera-worker"]["command"][services["camera-worker"]["command"].index("-Q") + 1] == "cameras"
    assert services["worker"]["command"][services["worker"]["command"].index("-Q") + 1] == "default"
    for name in ("postgres", "redis", "web", "worker", "camera-worker", "beat", "flower", "prometheus", "grafana"):
        assert "healthcheck" in services[name], f"{name} has no health check"
        assert services[name]["restart"] == "unless-stopped", name
    web_env = services["web"]["environment"]
    assert web_env["DEBUG"] == "false"
    assert web_env["VIRTUAL_HOST"] == "winkai.in,www.winkai.in,api.winkai.in"
    assert services["grafana"]["environment"]["VIRTUAL_HOST"] == "dashboard.winkai.in"
    assert services["prometheus"]["environment"]["VIRTUAL_HOST"] == "metrics.winkai.in"
    assert "--basic-auth" in " ".join(services["flower"]["command"])
    assert "443" in str(services["nginx-proxy"]["ports"])
    # Only the proxy publishes ports.
    published = [name for name, svc in services.items() if svc.get("ports")]
    assert published == ["nginx-proxy"]
    # Logs: the app logs JSON; Loki and Alloy (pinned images) in the monitoring profile, Alloy on the Docker socket.
    for name in ("web", "worker", "camera-worker", "beat"):
        assert services[name]["environment"]["LOG_FORMAT"] == "json", name
    for name in ("loki", "alloy"):
        assert services[name]["profiles"] == ["monitoring"], name
        assert re.search(r":v?\d+\.\d+\.\d+$", services[name]["image"]), services[name]["image"]
    assert any("docker.sock" in str(volume) for volume in services["alloy"]["volumes"])
    for folder in ("loki", "alloy"):
        mounted = [str(volume) for volume in services[folder]["volumes"] if f"deploy/{folder}/" in str(volume)]
        assert mounted and all((REPO / "deploy" / folder / Path(m.split(":")[0]).name).is_file() for m in mounted)


@needs_compose
def test_docker_compose_refuses_a_missing_password(tmp_path):
    project = _compose_dir(tmp_path)
    env_file = project / ".env"
    env_file.write_text(re.sub(r"(?m)^POSTGRES_PASSWORD=.*$", "POSTGRES_PASSWORD=", env_file.read_text()))
    result = subprocess.run(["docker-compose", "config", "-q"], cwd=project, capture_output=True, text=True)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_env_example_documents_every_variable():
    documented = _env_example_names()
    sources = [REPO / "wink" / "settings.py", REPO / "common" / "mail.py"]
    read = set()
    for source in sources:
        read |= set(re.findall(r'env_(?:str|bool|int|float|list|choice)\(\s*"([A-Z0-9_]+)"', source.read_text()))
    assert read, "no variables found: the pattern no longer matches wink/settings.py"
    compose = (REPO / "docker-compose.yml").read_text()
    read |= set(re.findall(r"\$\{([A-Z0-9_]+)", compose))
    read |= {"GRAFANA_DB_PASSWORD", "WEB_CONCURRENCY"}  # read by manage.py grafana_reader / gunicorn.conf.py
    missing = sorted(read - documented)
    assert not missing, f".env.example does not document: {missing}"


# --- Prometheus and Grafana -----------------------------------------------------------------------------------

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool absent (Debian package prometheus; ensure_services.sh)"
)


@needs_promtool
def test_promtool_accepts_config_and_rules():
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"]):
        result = subprocess.run(["promtool", *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_rules_fire_as_specified():
    # Unit tests of the rules: camera offline > 2 min, beat silent, worker down, ingestion error rate.
    result = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"], cwd=PROMETHEUS_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_cover_the_required_conditions():
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {"CameraOffline", "CameraProcessingLag", "SpikeDetected", "IngestionErrorRate", "WorkerDown",
            "BeatNotRunning"} <= names


def test_grafana_provisioning_is_consistent():
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "wink.yml").read_text())
    uids = {source["uid"] for source in datasources["datasources"]}
    dashboards = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
    assert {path.stem for path in dashboards} == {"wink-system-health", "wink-business", "wink-camera"}
    # the camera dashboard: its log lines (Loki) beside its metrics, both filtered by the camera variable
    camera = json.loads((GRAFANA_DIR / "dashboards" / "wink-camera.json").read_text())
    assert "camera" in {variable["name"] for variable in camera["templating"]["list"]}
    logs = [panel for panel in camera["panels"] if panel["type"] == "logs"]
    assert logs and logs[0]["datasource"]["uid"] == "wink-loki"
    assert re.search(r'\| json .*camera=~?"\$camera"', logs[0]["targets"][0]["expr"])
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids, (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])
    business = json.loads((GRAFANA_DIR / "dashboards" / "wink-business.json").read_text())
    titles = " ".join(panel["title"].lower() for panel in business["panels"])
    for needed in ("people", "hourly footfall", "queue wait", "zone use"):
        assert needed in titles


def _grafana_sql_to_plain(sql: str) -> str:
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)", r"\1 BETWEEN now() - interval '7 days' AND now()", sql)
    return sql.replace("${store:sqlstring}", "'store_demo_001'")


@pytest.mark.django_db
def test_grafana_business_queries_run_against_the_schema():
    if connection.vendor != "postgresql":
        pytest.skip("Grafana reads PostgreSQL")
    business = json.loads((GRAFANA_DIR / "dashboards" / "wink-business.json").read_text())
    queries = [target["rawSql"] for panel in business["panels"] for target in panel["targets"] if "rawSql" in target]
    queries.append(business["templating"]["list"][0]["query"])
    assert len(queries) >= 6
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(_grafana_sql_to_plain(sql))  # a renamed table or column fails here
            cursor.fetchall()


@pytest.mark.django_db
def test_grafana_reader_role_reads_aggregates_but_not_tokens(monkeypatch, store):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL role")
    monkeypatch.setenv("GRAFANA_DB_PASSWORD", "reader-pw-1")
    call_command("grafana_reader", stdout=io.StringIO())
    # The test transaction is not committed: the role exists only within it, so check the grants from here.
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege('grafana_reader', 'analytics_hourlymetric', 'SELECT'), "
                       "has_table_privilege('grafana_reader', 'knox_authtoken', 'SELECT'), "
                       "has_table_privilege('grafana_reader', 'cameras_edgekey', 'SELECT'), "
                       "has_table_privilege('grafana_reader', 'analytics_hourlymetric', 'INSERT')")
        assert cursor.fetchone() == (True, False, False, False)


# --- Security settings ------------------------------------------------------------------------------------------

PRODUCTION_ENV = {
    "WINK_ENV": "production",  # production even on SQLite: the hardening is on (embedded mode serves plain http)
    "DEBUG": "false",
    "SECRET_KEY": "wink-" + "x7Q9#mP2$vL8@nR4&kT6!" * 3,
    "ALLOWED_HOSTS": "winkai.in,api.winkai.in",
    "DATABASE_URL": "",
    "REDIS_URL": "",
}


def _manage(args: list[str], extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **extra_env, "WINK_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests' switch must not leak into a deploy check
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _manage(["check", "--deploy"], PRODUCTION_ENV, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # No security warning at all (security.W001…W022: HSTS, SSL redirect, cookies, SECRET_KEY, DEBUG, hosts).
    assert "security." not in output, output


def test_check_deploy_flags_a_weak_secret_key(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], {**PRODUCTION_ENV, "SECRET_KEY": "short"},
                     tmp_path)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_settings_turn_throttling_and_hardening_on(tmp_path):
    code = ("from django.conf import settings as s; import json; print(json.dumps({'throttle': "
            "s.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'], 'hsts': s.SECURE_HSTS_SECONDS, "
            "'ssl': s.SECURE_SSL_REDIRECT, 'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE], "
            "'csrf': 'django.middleware.csrf.CsrfViewMiddleware' in s.MIDDLEWARE}))")
    result = _manage(["shell", "-c", code], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(path.endswith("AnonRateThrottle") for path in values["throttle"])
    assert any(path.endswith("ScopedRateThrottle") for path in values["throttle"])
    assert values["hsts"] >= 31536000 and values["ssl"] is True and values["cookies"] == [True, True]
    assert values["csrf"] is True


@pytest.mark.django_db
def test_anonymous_api_requests_are_throttled(client, monkeypatch):
    from django.core.cache import cache
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle
    from rest_framework.views import APIView

    monkeypatch.setattr(APIView, "throttle_classes", [AnonRateThrottle])
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "2/min"})
    cache.delete("throttle_anon_10.9.8.7")
    # The schema view is public, so the throttle (not authentication) decides.
    statuses = [client.get("/api/schema/", REMOTE_ADDR="10.9.8.7").status_code for _ in range(3)]
    cache.delete("throttle_anon_10.9.8.7")
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_admin_and_metrics_need_auth_through_the_proxy(client):
    assert client.get("/admin/").status_code == 302  # to the login page
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics").status_code == 200  # Prometheus inside the Docker network


@pytest.mark.django_db
def test_metrics_token_is_required_when_configured(client, settings):
    settings.METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123").status_code == 200


# --- Encryption at rest -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rtsp_url_is_encrypted_at_rest_and_masked_when_shown(store):
    camera = CameraFactory(store=store, rtsp_url="rtsp://admin:hunter2@10.0.0.5:554/stream1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rtsp_url FROM cameras_camera WHERE id = %s", [camera.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:")
    assert "hunter2" not in stored and "10.0.0.5" not in stored
    camera.refresh_from_db()
    assert camera.rtsp_url == "rtsp://admin:hunter2@10.0.0.5:554/stream1"
    assert "hunter2" not in camera.masked_rtsp_url
    from cameras.models import Camera

    assert Camera.objects.filter(pk=camera.pk).exclude(rtsp_url="").exists()


@pytest.mark.django_db
def test_encryption_key_rotation(store, settings, capsys):
    from cryptography.fernet import Fernet

    from cameras.fields import FieldDecryptionError
    from cameras.models import Camera

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    camera = CameraFactory(store=store, rtsp_url="rtsp://u:p@cam/1")
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    assert Camera.objects.get(pk=camera.pk).rtsp_url == "rtsp://u:p@cam/1"  # old key still decrypts
    call_command("rotate_field_encryption")
    assert "1 value" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEY = new_key
    assert Camera.objects.get(pk=camera.pk).rtsp_url == "rtsp://u:p@cam/1"
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(FieldDecryptionError, match="FIELD_ENCRYPTION_KEY"):
        Camera.objects.get(pk=camera.pk)


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_plain_text_rows():
    store = StoreFactory()
    from django.db.migrations.executor import MigrationExecutor

    camera = CameraFactory(store=store, rtsp_url="rtsp://legacy:pw@cam/1")
    executor = MigrationExecutor(connection)
    executor.migrate([("cameras", "0003_edgekey_store_wide")])  # back: URLs decrypted into a plain column
    with connection.cursor() as cursor:
        cursor.execute("SELECT rtsp_url FROM cameras_camera WHERE id = %s", [camera.pk])
        assert cursor.fetchone()[0] == "rtsp://legacy:pw@cam/1"
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT rtsp_url FROM cameras_camera WHERE id = %s", [camera.pk])
        assert cursor.fetchone()[0].startswith("enc1:")
    camera.refresh_from_db()
    assert camera.rtsp_url == "rtsp://legacy:pw@cam/1"


# --- Metrics ------------------------------------------------------------------------------------------------------


def _scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def _value(text: str, name: str, labels: str = "") -> float | None:
    """The sample `name{labels}` of an exposition, whatever order the labels are written in."""
    wanted = dict(re.findall(r'(\w+)="([^"]*)"', labels))
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{.*\})? ([0-9.e+-]+|NaN)$", line)
        if match and match.group(1) == name and dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or "")) == wanted:
            return float(match.group(3))
    return None


@pytest.mark.django_db
def test_metrics_count_requests_ingestion_and_celery_numbers(client, store, settings):
    import redis

    from wink import metrics

    client.get("/healthz")
    before = _scrape(client)
    start = _value(before, "wink_http_requests_total", '{view="healthz",method="GET",status="200"}') or 0.0
    client.get("/healthz")
    metrics.ingest_events_count("accepted", 3)
    metrics.ingest_events_count("rejected", 1)
    with pytest.raises(ValueError, match="outcome"):
        metrics.ingest_events_count("lost", 1)
    r = redis.Redis.from_url(settings.REDIS_URL)
    r.delete("default", metrics.TASK_FAILURES_KEY, metrics.WORKER_SEEN_KEY)
    r.rpush("default", "m1", "m2")
    r.hset(metrics.WORKER_SEEN_KEY, "default@host1", time.time())
    r.hset(metrics.WORKER_SEEN_KEY, "cameras@old", time.time() - 600)
    r.hset(metrics.WORKER_SEEN_KEY, "cameras@replaced-last-week", time.time() - 7 * 86400)
    try:
        # A real failing task through the signal path.
        from celery import Celery

        app = Celery("ops-test", set_as_current=False)

        @app.task(name="ops.boom")
        def boom():
            raise RuntimeError("boom")

        boom.apply()
        text = _scrape(client)
        assert not r.hexists(metrics.WORKER_SEEN_KEY, "cameras@replaced-last-week")
    finally:
        r.delete("default", metrics.TASK_FAILURES_KEY, metrics.WORKER_SEEN_KEY)
    assert _value(text, "wink_http_requests_total", '{view="healthz",method="GET",status="200"}') == start + 1
    # a process-wide counter: earlier tests in this process may have counted too
    accepted_before = _value(before, "wink_ingest_events_total", '{outcome="accepted"}') or 0.0
    assert _value(text, "wink_ingest_events_total", '{outcome="accepted"}') == accepted_before + 3
    assert _value(text, "wink_celery_queue_length", '{queue="default"}') == 2
    assert _value(text, "wink_celery_task_failures_total", '{task="ops.boom"}') == 1
    assert _value(text, "wink_celery_workers_online", '{kind="default"}') == 1
    assert _value(text, "wink_celery_workers_online", '{kind="cameras"}') == 0


@pytest.mark.django_db
def test_metrics_business_gauges(client, store):
    from analytics.models import SpikeAlert
    from events.live import live_state_write

    camera = CameraFactory(store=store, camera_id="cam_a")
    heartbeat_set_at = time.monotonic()
    camera.last_heartbeat = timezone.now() - timedelta(seconds=300)
    camera.save(update_fields=["last_heartbeat"])
    live_state_write(store.store_id, "cam_a", {"people": 4}, ttl=30)
    live_state_write(store.store_id, "cam_b", {"people_now": 3}, ttl=30)
    now = timezone.now()
    SpikeAlert.objects.create(store=store, start=now, end=now, metric="footfall_in", observed=90, expected=30,
                              score=4.0, direction="up", kind="traffic")
    text = _scrape(client)
    assert _value(text, "wink_people_now", f'{{store="{store.store_id}"}}') == 7
    age = _value(text, "wink_camera_heartbeat_age_seconds", f'{{store="{store.store_id}",camera="cam_a"}}')
    assert 299 <= age <= 301 + (time.monotonic() - heartbeat_set_at)  # 300 s, plus the time this test took
    assert _value(text, "wink_spike_alerts_recent",
                  f'{{store="{store.store_id}",kind="traffic",direction="up"}}') == 1


def test_metrics_people_gauge_survives_corrupt_live_state(client, db):
    # An edge device's bad state already in the cache (written before validation existed) must not blank /metrics.
    from django.core.cache import cache

    from events.live import live_index_key, live_key, live_state_write

    store = StoreFactory(store_id=f"store_corrupt_{os.getpid()}")

    live_state_write(store.store_id, "cam_a", {"people": 4}, ttl=30)
    index = cache.get(live_index_key(store.store_id))
    index["cam_bad"] = index["cam_a"]
    cache.set(live_index_key(store.store_id), index, 60)
    cache.set(live_key(store.store_id, "cam_bad"), "not a dict", 60)
    text = _scrape(client)
    assert _value(text, "wink_people_now", f'{{store="{store.store_id}"}}') == 4


def test_metrics_multiprocess_mode_adds_up_processes(tmp_path):
    # Two processes write samples into PROMETHEUS_MULTIPROC_DIR; a third exposes their sum (gunicorn's case).
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "wink.settings"}
    writer = ("import django; django.setup(); from wink import metrics; "
              "metrics.ingest_events_count('duplicate', 5)")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", writer], cwd=REPO, env=env, check=True, timeout=120)
    reader = ("import django; django.setup(); from prometheus_client import generate_latest; "
              "from wink import metrics; print(generate_latest(metrics.metrics_registry()).decode())")
    result = subprocess.run([sys.executable, "-c", reader], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert _value(result.stdout, "wink_ingest_events_total", '{outcome="duplicate"}') == 10


# --- Backup / restore / retention ---------------------------------------------------------------------------------


def _snapshot() -> dict:
    from analytics.models import HourlyMetric
    from cameras.models import Camera, Store
    from events.models import EntranceEvent
    from zones.models import Zone

    return {
        "stores": sorted(Store.objects.values_list("store_id", "name", "timezone")),
        "cameras": sorted(Camera.objects.values_list("camera_id", "rtsp_url", "enabled")),
        "zones": sorted((z.zone_id, json.dumps(z.polygon)) for z in Zone.objects.all()),
        "events": EntranceEvent.objects.count(),
        "hourly": sorted(HourlyMetric.objects.values_list("scope", "scope_id", "footfall_in")),
    }


def _make_data():
    import uuid

    from analytics.models import HourlyMetric
    from events.models import EntranceEvent

    store = StoreFactory(store_id="store_backup_01", name="Backup Store", timezone="Asia/Kolkata")
    camera = CameraFactory(store=store, camera_id="cam_bk", rtsp_url="rtsp://bk:secret@10.1.1.1/s")
    ZoneFactory(camera=camera, zone_id="zone_bk")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for index in range(25):
        EntranceEvent.objects.create(event_id=uuid.uuid4(), store=store, camera=camera, camera_key="cam_bk",
                                     ts=now - timedelta(minutes=index), direction="in", person_key=f"t{index}")
    HourlyMetric.objects.create(store=store, scope="store", scope_id="", hour_start=now, local_date=now.date(),
                                local_hour=now.hour, footfall_in=25)


def _wipe():
    from cameras.models import Organization

    Organization.objects.all().delete()  # cascades to stores, cameras, zones, events, aggregates


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip_postgresql(tmp_path, settings, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL round trip")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    shot = tmp_path / "media" / "screenshots" / "store_backup_01" / "shot.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(b"\x89PNG fake screenshot")
    _make_data()
    before = _snapshot()
    assert before["events"] == 25 and before["cameras"]
    archive = tmp_path / "wink.tar"
    call_command("backup", "--output", str(archive))
    out = capsys.readouterr().out
    assert "Backup written" in out and "[" in out  # per-table progress lines
    _wipe()
    shot.unlink()
    assert _snapshot()["events"] == 0
    call_command("restore", str(archive), "--yes")
    assert _snapshot() == before
    assert shot.read_bytes() == b"\x89PNG fake screenshot"


@pytest.mark.django_db(transaction=True)
def test_a_failed_restore_leaves_the_database_unchanged(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL restore")
    import tarfile

    settings.MEDIA_ROOT = str(tmp_path / "media")
    _make_data()
    good = tmp_path / "good.tar"
    call_command("backup", "-o", str(good), stdout=io.StringIO())
    before = _snapshot()
    # Same archive with the dump cut in half: pg_restore fails part-way through.
    extracted = tmp_path / "x"
    with tarfile.open(good) as archive:
        archive.extractall(extracted, filter="data")
    dump = extracted / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as archive:
        for name in ("manifest.json", "database.dump"):
            archive.add(extracted / name, arcname=name)
    with pytest.raises(CommandError, match="left unchanged"):
        call_command("restore", str(broken), "--yes", stdout=io.StringIO())
    assert _snapshot() == before


@pytest.mark.django_db
def test_restore_refuses_without_confirmation_or_with_a_bad_file(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x.tar"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "x.tar"), "--yes")
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(junk), "--yes")


def test_backup_restore_round_trip_sqlite(tmp_path):
    """Embedded mode: the SQLite online backup API, run as an operator would (separate processes)."""
    env = {"DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'wink.sqlite3'}", "REDIS_URL": "",
           "MEDIA_ROOT": str(tmp_path / "media")}
    assert _manage(["migrate", "-v0"], env, tmp_path).returncode == 0
    create = ("from tests.test_ops import _make_data; _make_data(); "
              "from tests.test_ops import _snapshot; import json; print(json.dumps(_snapshot()))")
    made = _manage(["shell", "-c", create], env, tmp_path)
    assert made.returncode == 0, made.stderr
    before = made.stdout.strip().splitlines()[-1]
    archive = tmp_path / "wink-sqlite.tar"
    backup = _manage(["backup", "-o", str(archive)], env, tmp_path)
    assert backup.returncode == 0, backup.stderr
    assert "pages" in backup.stdout and "sqlite" in backup.stdout
    wipe_code = "from tests.test_ops import _wipe, _snapshot; _wipe(); print(_snapshot()['events'])"
    wipe = _manage(["shell", "-c", wipe_code], env, tmp_path)
    assert wipe.stdout.strip().splitlines()[-1] == "0"
    restore = _manage(["restore", str(archive), "--yes"], env, tmp_path)
    assert restore.returncode == 0, restore.stderr
    snapshot_code = "from tests.test_ops import _snapshot; import json; print(json.dumps(_snapshot()))"
    after = _manage(["shell", "-c", snapshot_code], env, tmp_path)
    assert after.stdout.strip().splitlines()[-1] == before
    # A PostgreSQL deployment refuses the SQLite archive with a one-line error.
    crossed = _manage(["restore", str(archive), "--yes"], {**env, "DATABASE_URL": os.environ["DATABASE_URL"]}, tmp_path)
    assert crossed.returncode != 0
    assert "sqlite" in crossed.stderr and "Traceback" not in crossed.stderr


@pytest.mark.django_db
def test_prune_events_keeps_recent_events_aggregates_and_stale_hours(store, capsys):
    import uuid

    from analytics.models import HourlyMetric
    from events.models import EntranceEvent, QueueEvent, StaleHour

    camera = CameraFactory(store=store)
    now = timezone.now()

    def entrance(age_days: float):
        return EntranceEvent.objects.create(event_id=uuid.uuid4(), store=store, camera=camera, camera_key="c",
                                            ts=now - timedelta(days=age_days), direction="in")

    old = [entrance(40 + i) for i in range(3)]
    recent = entrance(2)
    ts = now - timedelta(days=50)
    QueueEvent.objects.create(event_id=uuid.uuid4(), store=store, camera=camera, camera_key="c", ts=ts,
                              queue_id="q", enter_ts=ts, exit_ts=ts, wait_seconds=30)
    HourlyMetric.objects.create(store=store, scope="store", hour_start=now - timedelta(days=45),
                                local_date=(now - timedelta(days=45)).date(), local_hour=0, footfall_in=3)
    other = StoreFactory()
    pending_ts = now - timedelta(days=60)
    pending = EntranceEvent.objects.create(event_id=uuid.uuid4(), store=other, camera_key="c", ts=pending_ts,
                                           direction="in")
    StaleHour.objects.create(store=other, hour_start=pending_ts.replace(minute=0, second=0, microsecond=0))

    call_command("prune_events", "--older-than-days", "30", "--dry-run")
    assert EntranceEvent.objects.count() == 5
    call_command("prune_events", "--older-than-days", "30", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "entrance_events: 2/3" in out and "entrance_events: 3/3" in out  # progress per batch
    remaining = set(EntranceEvent.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, pending.pk}
    assert not any(EntranceEvent.objects.filter(pk=event.pk).exists() for event in old)
    assert QueueEvent.objects.count() == 0
    assert HourlyMetric.objects.count() == 1
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_events", "--older-than-days", "0")


# --- Moving a store between deployments (one-compose-per-store → one deployment) --------------------------------


@pytest.mark.django_db
def test_export_import_store_round_trip(tmp_path, settings, capsys):
    from django.core.files.base import ContentFile

    from alerts.models import AlertChannel
    from cameras.models import CameraScreenshot, EdgeKey, Organization

    settings.MEDIA_ROOT = str(tmp_path / "media")
    _make_data()
    from cameras.models import Store

    store = Store.objects.get(store_id="store_backup_01")
    camera = store.cameras.get()
    shot = CameraScreenshot(camera=camera, width=1920, height=1080)
    shot.image.save("shot.png", ContentFile(b"\x89PNG screenshot bytes"), save=True)
    EdgeKey.objects.create(organization=store.organization, store=store, camera=None, prefix="wk_abc",
                           key_hash="f" * 64)
    AlertChannel.objects.create(store=store, kind="slack", target="https://hooks.slack.test/T/B/X")
    StoreFactory(store_id="store_other")  # not exported
    before = _snapshot()
    export = tmp_path / "store.jsonl.gz"

    call_command("export_store", "store_backup_01", "-o", str(export))
    assert "rows written" in capsys.readouterr().out
    raw = export.read_bytes()
    assert b"store_other" not in raw

    Organization.objects.filter(stores__store_id="store_backup_01").delete()
    (tmp_path / "media").rename(tmp_path / "media-old")
    call_command("import_store", str(export))
    out = capsys.readouterr().out
    assert "events.EntranceEvent: 25" in out
    after = _snapshot()
    assert after == before
    restored = Store.objects.get(store_id="store_backup_01")
    assert restored.edge_keys.get().key_hash == "f" * 64  # the edge box keeps working with its key
    assert AlertChannel.objects.get(store=restored).target == "https://hooks.slack.test/T/B/X"
    screenshot = CameraScreenshot.objects.get(camera__store=restored)
    assert screenshot.image.read() == b"\x89PNG screenshot bytes"

    # Importing again is refused; merging skips what is already there (events are unique by event_id).
    with pytest.raises(CommandError, match="--into-existing"):
        call_command("import_store", str(export))
    call_command("import_store", str(export), "--into-existing")
    assert _snapshot()["events"] == 25
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_store", "store_nowhere", "-o", str(tmp_path / "x.gz"))


# --- CSRF ---------------------------------------------------------------------------------------------------------


def test_every_post_form_carries_a_csrf_token():
    offenders = []
    for template in (REPO / "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.S | re.I):
            opening = form.split(">", 1)[0].lower()
            if 'method="post"' in opening and "csrf_token" not in form:
                offenders.append(template.relative_to(REPO).as_posix())
    assert not offenders, f"POST forms without {{% csrf_token %}}: {offenders}"


@pytest.mark.django_db
def test_session_authenticated_api_writes_need_the_csrf_token(admin_user, store):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    body = {"name": "Door", "rtsp_url": "rtsp://u:p@10.0.0.9/s", "enabled": True}
    refused = browser.post("/api/cameras", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.content.decode()
    browser.get("/admin/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/cameras", {**body, "store_id": store.store_id}, content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_no_model_stores_video_or_images_beyond_zone_screenshots():
    from django.apps import apps
    from django.db import models as dj_models

    file_fields = sorted(
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models() if not model._meta.label.startswith(("auth.", "admin."))
        for field in model._meta.concrete_fields if isinstance(field, dj_models.FileField)
    )
    assert file_fields == ["cameras.CameraScreenshot.image"]


# --- deploy/ helpers: gunicorn multiprocess metrics, health checks, proxy basic auth -------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_workers_share_one_metrics_view(tmp_path):
    """The web container's setup: gunicorn (deploy/gunicorn.conf.py) with 2 workers and PROMETHEUS_MULTIPROC_DIR."""
    import urllib.request

    port = _free_port()
    multiproc = tmp_path / "prom"
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "REDIS_URL": "",
           "WINK_VAR_DIR": str(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(multiproc), "WEB_CONCURRENCY": "2"}
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen([gunicorn, "--config", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                               "--threads", "1", "wink.wsgi:application"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health = [sys.executable, "deploy/healthcheck.py", "http", f"http://127.0.0.1:{port}/healthz"]
        deadline = time.time() + 90
        while subprocess.run(health, cwd=REPO, capture_output=True).returncode != 0:
            assert time.time() < deadline, "gunicorn did not become healthy"
            assert server.poll() is None, "gunicorn exited"
            time.sleep(0.5)
        def healthz(times: int) -> None:
            for _ in range(times):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read()

        def served() -> float:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
            return _value(text, "wink_http_requests_total", '{view="healthz",method="GET",status="200"}') or 0.0

        healthz(10)
        before = served()
        assert before >= 10
        # Replace every worker: what the old processes counted must still be in the sum.
        workers = _children(server.pid)
        assert len(workers) == 2
        for pid in workers:
            os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 90
        while len(set(_children(server.pid)) - set(workers)) < 2:
            assert time.time() < deadline, "gunicorn did not replace its workers"
            time.sleep(0.5)
        while subprocess.run(health, cwd=REPO, capture_output=True).returncode != 0:
            assert time.time() < deadline
            time.sleep(0.5)
        healthz(10)
        assert served() >= before + 10  # the sum over live and dead processes, not one worker's share
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_beat_health_check_reads_beats_last_publish(settings):
    import redis

    from wink import metrics

    client = redis.Redis.from_url(settings.REDIS_URL)
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    check = [sys.executable, "deploy/healthcheck.py", "beat"]
    try:
        client.set(metrics.BEAT_SEEN_KEY, time.time() - 600)
        stale = subprocess.run(check, cwd=REPO, env=env, capture_output=True, text=True)
        assert stale.returncode == 1 and "silent" in stale.stderr
        client.set(metrics.BEAT_SEEN_KEY, time.time())
        assert subprocess.run(check, cwd=REPO, env=env, capture_output=True).returncode == 0
    finally:
        client.delete(metrics.BEAT_SEEN_KEY)


def test_proxy_basic_auth_files_hold_salted_hashes(tmp_path):
    import base64
    import hashlib

    env = {**os.environ, "METRICS_DOMAIN": "metrics.winkai.in", "METRICS_USER": "ops", "METRICS_PASSWORD": "pa:ss w0rd",
           "FLOWER_DOMAIN": "flower.winkai.in", "FLOWER_USER": "", "FLOWER_PASSWORD": "fl0wer"}
    result = subprocess.run([sys.executable, "deploy/make_htpasswd.py", str(tmp_path)], cwd=REPO, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    user, hashed = (tmp_path / "metrics.winkai.in").read_text().strip().split(":", 1)
    assert user == "ops" and "pa:ss" not in hashed and hashed.startswith("{SSHA}")
    raw = base64.b64decode(hashed[len("{SSHA}"):])
    digest, salt = raw[:20], raw[20:]
    assert hashlib.sha1(b"pa:ss w0rd" + salt).digest() == digest  # what nginx checks
    assert (tmp_path / "flower.winkai.in").read_text().startswith("admin:{SSHA}")
    refused = subprocess.run([sys.executable, "deploy/make_htpasswd.py", str(tmp_path)], cwd=REPO,
                             env={**env, "METRICS_PASSWORD": ""}, capture_output=True, text=True)
    assert refused.returncode == 1 and "METRICS_PASSWORD" in refused.stderr
