"""Writes for organisations, stores and cameras."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify

from cameras.models import Camera, Organization, Store


def slug_from_name(name: str, fallback: str) -> str:
    slug = slugify(name).replace("-", "_")
    return slug or fallback


@transaction.atomic
def store_get_or_create_default() -> Store:
    """The store named by STORE_ID/STORE_NAME, used for single-store bootstraps."""
    store = Store.objects.filter(store_id=settings.STORE_ID).first()
    if store is not None:
        return store
    organization, _ = Organization.objects.get_or_create(
        slug=slugify(settings.ORG_NAME) or "default", defaults={"name": settings.ORG_NAME}
    )
    return Store.objects.create(
        organization=organization, store_id=settings.STORE_ID, name=settings.STORE_NAME,
        timezone=settings.STORE_TIMEZONE,
    )


def camera_unique_slug(store: Store, wanted: str) -> str:
    slug, counter = wanted, 2
    while Camera.objects.filter(store=store, camera_id=slug).exists():
        slug, counter = f"{wanted}_{counter}", counter + 1
    return slug


@transaction.atomic
def camera_create(*, store: Store, name: str, rtsp_url: str = "", enabled: bool = True,
                  camera_id: str | None = None, **fields) -> Camera:
    slug = camera_id or camera_unique_slug(store, slug_from_name(name, "camera"))
    camera = Camera(store=store, camera_id=slug, name=name, rtsp_url=rtsp_url, enabled=enabled, **fields)
    camera.full_clean()
    camera.save()
    return camera


def camera_bump_config_version(camera: Camera) -> None:
    """Tell running workers that this camera's pipeline configuration changed."""
    Camera.objects.filter(pk=camera.pk).update(config_version=F("config_version") + 1)
