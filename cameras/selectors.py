"""Read queries for organisations, stores and cameras, always scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from cameras.models import Camera, CameraScreenshot, Organization, Store


def user_sees_all(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.is_staff))


def organization_list_for_user(user) -> QuerySet[Organization]:
    if user_sees_all(user):
        return Organization.objects.all()
    if not (user and user.is_authenticated):
        return Organization.objects.none()
    return Organization.objects.filter(members=user)


def store_list_for_user(user) -> QuerySet[Store]:
    if user_sees_all(user):
        return Store.objects.select_related("organization")
    if not (user and user.is_authenticated):
        return Store.objects.none()
    return Store.objects.filter(organization__members=user).select_related("organization")


def camera_list_for_user(user) -> QuerySet[Camera]:
    return Camera.objects.filter(store__in=store_list_for_user(user)).select_related("store")


def user_is_organization_admin(user, organization: Organization | None) -> bool:
    """Organisation admins (and operators: staff/superusers) may change cameras' stream URLs and alert targets."""
    if organization is None or not (user and user.is_authenticated):
        return False
    if user_sees_all(user):
        return True
    return organization.admins.filter(pk=user.pk).exists()


def camera_get_for_user(user, reference: str | int) -> Camera | None:
    """Find a camera by numeric id or by its slug (camera_id) among the user's cameras.

    The one lookup rule: a numeric reference that names an existing camera means that camera, and if it is not
    the caller's the answer is None; it never falls through to a slug match (a foreign tenant could otherwise
    create a camera whose slug is another organisation's id and reach its zones).
    """
    text = str(reference).strip()
    if not text or len(text) > 100:
        return None
    cameras = camera_list_for_user(user)
    if text.isdigit():
        if int(text) > 2**63 - 1:
            return None
        if Camera.objects.filter(pk=int(text)).exists():
            return cameras.filter(pk=int(text)).first()
    matches = list(cameras.filter(camera_id=text)[:2])
    return matches[0] if len(matches) == 1 else None


def screenshot_url(shot: CameraScreenshot) -> str:
    """Where a screenshot is served: the signed-in, tenant-checked page `camera-screenshot` (never a public
    /media/ URL). Named by URL name, so cameras and zones need not import the dashboard that serves it."""
    return f"{reverse('camera-screenshot', args=[shot.camera_id])}?v={shot.pk}"
