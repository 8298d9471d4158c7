from rest_framework.routers import SimpleRouter

from cameras.views import CameraViewSet


class OptionalSlashRouter(SimpleRouter):
    """The guides call `/api/cameras` without a trailing slash; accept both forms."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("cameras", CameraViewSet, basename="api-camera")
urlpatterns = router.urls
