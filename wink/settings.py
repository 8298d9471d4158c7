"""WINK settings: one module, every knob read from the environment through typed helpers.

Embedded default (the demo): SQLite file under var/, no servers. Production and the test suite set
DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from kombu import Queue

from common.env import EnvError, env_bool, env_choice, env_float, env_int, env_list, env_str, secret_key_file
from common.logging import LOG_FORMATS, logging_config
from common.mail import email_settings
from common.schedules import beat_schedule
from vision.detector_config import DetectorConfig, DetectorConfigError

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WINK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Embedded mode (no DATABASE_URL, WINK_ENV not production): the demo and the offline commands in a plain shell.
# It needs no exported variable: its secret key is generated once into var/secret_key (0600) and reused.
# Production (a DATABASE_URL, or WINK_ENV=production) refuses to start without SECRET_KEY; DEBUG=true with a
# DATABASE_URL (the test suite) may use the insecure development key, WINK_ENV=production never.
WINK_ENV = env_choice("WINK_ENV", "development", {"development", "production"})
EMBEDDED = WINK_ENV != "production" and not os.environ.get("DATABASE_URL")
_INSECURE_DEV_KEY = "django-insecure-wink-development-only-key-never-use-in-production-0123456789"
if EMBEDDED:
    SECRET_KEY = env_str("SECRET_KEY", "") or secret_key_file(VAR_DIR / "secret_key")
else:
    SECRET_KEY = env_str("SECRET_KEY", _INSECURE_DEV_KEY if DEBUG and WINK_ENV != "production" else "")
    if SECRET_KEY in {"", _INSECURE_DEV_KEY} and (not DEBUG or WINK_ENV == "production"):
        raise EnvError("Environment variable SECRET_KEY is required in production (DATABASE_URL set or "
                       "WINK_ENV=production): set it to a long random string (python3 -c 'import secrets; "
                       "print(secrets.token_urlsafe(50))')")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens: stored as digests, with an expiry (cameras/authentication.py)
    "axes",  # sign-in lockout after repeated wrong passwords
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "cameras",
    "zones",
    "alerts",
    "events",
    "pos",
    "audits",
    "analytics",
    "workers",
    "dashboard",
]

MIDDLEWARE = [
    "wink.metrics.PrometheusMiddleware",  # first: times every request (docs/OPERATIONS.md)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 page
]

ROOT_URLCONF = "wink.urls"
WSGI_APPLICATION = "wink.wsgi.application"
ASGI_APPLICATION = "wink.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wink.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite is the embedded demo database: WAL lets the web server read while the pipeline writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ---------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # No servers in embedded mode: a file cache is shared by the web process and the demo pipeline.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = False  # camera tasks hold a Redis lease instead; see workers/
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"workers.tasks.run_camera_task": {"queue": "cameras"}}
# Every queue is declared: `celery -A wink worker` without -Q serves them all (a one-host store); `-Q cameras` and
# `-Q default` workers split them for scale-out. A worker that leaves one unserved warns (common/instruments.py).
CELERY_TASK_QUEUES = [Queue("default"), Queue("cameras")]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 12 * 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The schedules declared in code (common/schedules.py): beat writes them into django-celery-beat's tables at start,
# under the names `manage.py sync_beat_schedules` uses, so `celery -A wink beat` alone runs them.
CELERY_BEAT_SCHEDULE = beat_schedule()
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
# Camera tasks run for hours: fetch a message only when a pool slot is free, so a busy worker never
# hoards camera tasks it cannot start (Redis broker only; see workers/).
CELERY_WORKER_DISABLE_PREFETCH = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False  # camera tasks are acked early
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers and beat log through LOGGING below (common/logging.py)

# --- Auth, i18n, static -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every password sign-in (dashboard and admin) before Django's ModelBackend tries it.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# Lock the (username, client IP) pair: a guesser gets LOGIN_FAILURE_LIMIT tries per account per address, cannot lock
# the real user out from elsewhere, and other accounts behind the same address (a shop's NAT) keep working.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on stderr: offline commands print one clear line on failure
AXES_CLIENT_IP_CALLABLE = "cameras.authentication.client_ip_address"  # honours NUM_PROXIES like the API throttles
AXES_LOCKOUT_CALLABLE = "cameras.authentication.lockout_response"  # templates/registration/lockout.html, HTTP 429
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True  # storage is always UTC; stores have their own IANA zone for reports

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_SCREENSHOT_BYTES = env_int("MAX_SCREENSHOT_BYTES", 10 * 1024 * 1024, minimum=1024)

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cameras.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Anonymous/user rates everywhere plus per-view `throttle_scope`s; on by default when DEBUG is off.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ] if env_bool("API_THROTTLE", not DEBUG) else [],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "120/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "ingest": env_str("THROTTLE_INGEST", "600/min"),
        "insights": env_str("THROTTLE_INSIGHTS", "30/hour"),  # views that call OpenAI: throttle_scope = "insights"
    },
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # Proxies in front of Django whose X-Forwarded-For entry is trusted for per-IP throttling (nginx-proxy = 1).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0 if DEBUG else 1, minimum=0),
}
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90, minimum=1)  # default lifetime of `issue_admin_token`
REST_KNOX = {"AUTH_HEADER_PREFIX": "Bearer", "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
             "TOKEN_PREFIX": "wink_api_"}  # tokens read `wink_api_<64 hex>`; edge keys are `wink_edge_…`
SPECTACULAR_SETTINGS = {
    "TITLE": "WINK Retail Analytics API",
    "DESCRIPTION": "Cameras, zones, edge ingestion, live dashboard and analytics for physical stores.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # choice sets that share a field name across apps get names of their own in the schema
    "ENUM_NAME_OVERRIDES": {
        "CrossingDirectionEnum": ["in", "out"],
        "SpikeDirectionEnum": ["up", "down"],
        "SpikeKindEnum": ["traffic", "data_fault", "conversion"],
        "AuditKindEnum": "audits.models.Audit.Kind",
    },
}

# --- Product settings ---------------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY", "")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "")
OPENAI_MODEL = env_str("OPENAI_MODEL", "gpt-4o-mini")
# Detector: one set of names (DETECTOR_BACKEND, DETECTOR_MODEL_PATH, MODEL_DEVICE, DETECTOR_PRECISION,
# DETECTOR_IMGSZ, DETECTOR_CONF, DETECTOR_IOU, DETECTOR_THREADS) for the camera workers, the edge collector and
# the offline commands, read by vision/detector_config.py (deprecated MODEL_* aliases accepted with a warning).
try:
    DETECTOR = DetectorConfig.from_env(os.environ)
except DetectorConfigError as exc:
    raise EnvError(f"Environment variable {exc}") from None
MODEL_DEVICE = DETECTOR.device
# auto: onnxruntime, or openvino for an OpenVINO .xml model, ultralytics for a .pt model
DETECTOR_BACKEND = DETECTOR.backend
DETECTOR_MODEL_PATH = DETECTOR.model_path
FRAME_RATE = env_float("FRAME_RATE", 12.0, minimum=0.1)
DETECTION_INTERVAL = env_int("DETECTION_INTERVAL", 3, minimum=1)
STORE_ID = env_str("STORE_ID", "store_demo_001")
STORE_NAME = env_str("STORE_NAME", "Demo Store")
STORE_TIMEZONE = env_str("STORE_TIMEZONE", "UTC")
ORG_NAME = env_str("ORG_NAME", "Default Organization")
HEARTBEAT_INTERVAL_SECONDS = env_int("HEARTBEAT_INTERVAL_SECONDS", 30, minimum=1)
# Edge ingestion (events/): batch and body limits, how far ahead of server time an event may be.
INGEST_MAX_BATCH_EVENTS = env_int("INGEST_MAX_BATCH_EVENTS", 1000, minimum=1)
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
INGEST_MAX_FUTURE_SECONDS = env_int("INGEST_MAX_FUTURE_SECONDS", 300, minimum=0)
# Count audits (audits/): evidence kept at most this long; per-window and per-upload-request size bounds.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 14, minimum=1)
AUDIT_MAX_EVIDENCE_BYTES = env_int("AUDIT_MAX_EVIDENCE_BYTES", 512 * 1024 * 1024, minimum=1024 * 1024)
AUDIT_MAX_CHUNK_BYTES = env_int("AUDIT_MAX_CHUNK_BYTES", 2 * 1024 * 1024, minimum=64 * 1024)
# Camera workers (workers/): lease, supervisor and runner timings.
DETECTOR_PRECISION = DETECTOR.precision
DETECTOR_IMGSZ = DETECTOR.imgsz
DETECTOR_CONF = DETECTOR.conf
DETECTOR_IOU = DETECTOR.iou
DETECTOR_THREADS = DETECTOR.threads  # 0 = the backend's default
CAMERA_LEASE_TTL_SECONDS = env_float("CAMERA_LEASE_TTL_SECONDS", 15.0, minimum=2.0)
CAMERA_SUPERVISE_INTERVAL_SECONDS = env_float("CAMERA_SUPERVISE_INTERVAL_SECONDS", 5.0, minimum=0.5)
CAMERA_CONFIG_POLL_SECONDS = env_float("CAMERA_CONFIG_POLL_SECONDS", 5.0, minimum=0.5)
CAMERA_OFFLINE_AFTER_SECONDS = env_float("CAMERA_OFFLINE_AFTER_SECONDS", 10.0, minimum=1.0)
CAMERA_RECONNECT_MAX_BACKOFF_SECONDS = env_float("CAMERA_RECONNECT_MAX_BACKOFF_SECONDS", 30.0, minimum=1.0)
# A camera URL that is a local video path is read as a looping file only when the operator allows it (demos,
# tests on one host); otherwise only rtsp/rtsps/http/https URLs are opened (a tenant must never make us read files).
CAMERA_ALLOW_FILE_SOURCES = env_bool("CAMERA_ALLOW_FILE_SOURCES", False)
CAMERA_EVENT_FLUSH_SECONDS = env_float("CAMERA_EVENT_FLUSH_SECONDS", 2.0, minimum=0.1)
CAMERA_INFERENCE_MAX_BATCH = env_int("CAMERA_INFERENCE_MAX_BATCH", 0, minimum=0)  # 0: 2 on CPU, 8 on CUDA
CAMERA_INFERENCE_THREADS = env_int("CAMERA_INFERENCE_THREADS", 0, minimum=0)  # 0: one per core on CPU, 1 on CUDA

# --- Operations: metrics, alerts, mail, encryption at rest (docs/OPERATIONS.md) -------------
METRICS_TOKEN = env_str("METRICS_TOKEN", "")  # optional bearer token for /metrics through the proxy
CAMERA_ALERT_OFFLINE_SECONDS = env_int("CAMERA_ALERT_OFFLINE_SECONDS", 120, minimum=10)
ALERT_WEBHOOK_TIMEOUT_SECONDS = env_float("ALERT_WEBHOOK_TIMEOUT_SECONDS", 5.0, minimum=0.1)
# Hosts (names/IPs) a generic alert webhook may reach although private or loopback (alerts/targets.py)
ALERT_WEBHOOK_ALLOWED_HOSTS = env_list("ALERT_WEBHOOK_ALLOWED_HOSTS", [])
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "")  # Fernet key(s), comma-separated, newest first
_EMAIL = email_settings()  # EMAIL_URL, or the EMAIL_* variables one by one (common/mail.py)
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _EMAIL["EMAIL_HOST"], _EMAIL["EMAIL_PORT"]
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_USER"], _EMAIL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS, EMAIL_USE_SSL = _EMAIL["EMAIL_USE_TLS"], _EMAIL["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _EMAIL["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "WINK <wink@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Error reporting (optional): Sentry, off unless SENTRY_DSN is set (docs/OPERATIONS.md) ----
# Web and Celery processes report unhandled exceptions (and ERROR log records); no personal data (user, IP,
# cookies, request bodies) is sent; performance tracing only when SENTRY_TRACES_SAMPLE_RATE > 0.
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0)
if SENTRY_TRACES_SAMPLE_RATE > 1:
    raise EnvError(f"Environment variable SENTRY_TRACES_SAMPLE_RATE={SENTRY_TRACES_SAMPLE_RATE} must be <= 1")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.utils import BadDsn

    try:
        sentry_sdk.init(
            dsn=SENTRY_DSN, environment=WINK_ENV, send_default_pii=False,
            traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE or None,
            trace_propagation_targets=[],  # no sentry-trace/baggage headers on webhooks, OpenAI or cameras
            integrations=[DjangoIntegration(), CeleryIntegration()], auto_enabling_integrations=False,
        )
    except BadDsn as exc:
        raise EnvError(f"Environment variable SENTRY_DSN is not a Sentry DSN ({exc})") from None

# --- Production hardening (active when DEBUG is off) ---------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # Embedded mode is the local demo over plain http://127.0.0.1: HTTPS redirects and secure-only cookies would
    # make `manage.py runserver` in a plain shell unusable, so they default on only where a deployment runs.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not EMBEDDED)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if EMBEDDED else 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not EMBEDDED)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not EMBEDDED)
    # Prometheus and container health checks talk plain HTTP to the web container, not via the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^healthz$"]

# LOG_FORMAT=json: one JSON object per line (ts, level, logger, message; camera, store, task_id, task_name where
# known) in every process — web, workers, beat, commands — for Loki or journald; text for a terminal.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", LOG_FORMATS)
LOGGING = logging_config(LOG_FORMAT, env_str("LOG_LEVEL", "INFO"))

os.makedirs(VAR_DIR, exist_ok=True)
