"""Routes of the alert-channel API (mounted under /api/ by wink/urls.py); with or without a trailing slash."""

from alerts.views import AlertChannelViewSet
from common.api import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("alert-channels", AlertChannelViewSet, basename="alert-channel")
urlpatterns = router.urls
