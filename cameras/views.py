from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from cameras.selectors import camera_list_for_user, store_list_for_user, user_is_organization_admin
from cameras.serializers import CameraSerializer
from cameras.services import camera_bump_config_version, camera_create, store_get_or_create_default


def django_to_drf_validation(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "message_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


URL_ADMINS_ONLY = "only organisation admins may set a camera's stream URL"


@extend_schema(tags=["cameras"])
class CameraViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Cameras of the stores the caller can see. `POST /api/cameras` as in the deployment guide.

    Members of an organisation may create and edit its cameras; setting or changing `rtsp_url` or `detect_url` (the
    server opens those URLs) is for organisation admins (and staff): a create with a URL, or an update whose body
    has `rtsp_url` or `detect_url` at all, is 403 for a plain member.
    """

    serializer_class = CameraSerializer
    filterset_fields = ["enabled", "status", "store__store_id"]

    def get_queryset(self):
        return camera_list_for_user(self.request.user).order_by("id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store_slug = data.pop("store_id", None)
        if store_slug:
            store = store_list_for_user(request.user).filter(store_id=store_slug).first()
            if store is None:
                raise ValidationError({"store_id": f"unknown store {store_slug!r}"})
        else:
            store = store_get_or_create_default()
            if not store_list_for_user(request.user).filter(pk=store.pk).exists():
                raise PermissionDenied("you have no access to the default store; pass store_id")
        if (data.get("rtsp_url") or data.get("detect_url")) and not user_is_organization_admin(
                request.user, store.organization):
            raise PermissionDenied(URL_ADMINS_ONLY)
        if data.get("camera_id") and store.cameras.filter(camera_id=data["camera_id"]).exists():
            raise ValidationError({"camera_id": f"{data['camera_id']!r} already exists in {store.store_id}"})
        try:
            camera = camera_create(store=store, **data)
        except DjangoValidationError as error:
            raise django_to_drf_validation(error) from None
        return Response(self.get_serializer(camera).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.validated_data.pop("store_id", None)
        new_slug = serializer.validated_data.get("camera_id")
        instance = serializer.instance
        # Any rtsp_url in the body, even the stored one: comparing would let members test guesses of the password.
        if (("rtsp_url" in serializer.validated_data or "detect_url" in serializer.validated_data)
                and not user_is_organization_admin(self.request.user, instance.store.organization)):
            raise PermissionDenied(URL_ADMINS_ONLY)
        if new_slug and instance.store.cameras.filter(camera_id=new_slug).exclude(pk=instance.pk).exists():
            raise ValidationError({"camera_id": f"{new_slug!r} already exists in {instance.store.store_id}"})
        camera = serializer.save()
        camera_bump_config_version(camera)
