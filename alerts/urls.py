"""Routes of the alert-channel API (mounted under /api/ by wink/urls.py); with or without a trailing slash."""

from rest_framework.routers import SimpleRouter

from alerts.views import AlertChannelViewSet


class OptionalSlashRouter(SimpleRouter):
    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("alert-channels", AlertChannelViewSet, basename="alert-channel")
urlpatterns = router.urls
