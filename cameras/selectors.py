"""Read queries for organisations, stores and cameras, always scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from cameras.models import Camera, Organization, Store


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


def camera_get_for_user(user, reference: str | int) -> Camera | None:
    """Find a camera by numeric id or by its slug (camera_id) among the user's cameras."""
    cameras = camera_list_for_user(user)
    text = str(reference).strip()
    if text.isdigit():
        camera = cameras.filter(pk=int(text)).first()
        if camera is not None:
            return camera
    matches = list(cameras.filter(camera_id=text)[:2])
    return matches[0] if len(matches) == 1 else None
