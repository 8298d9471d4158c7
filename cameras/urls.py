from cameras.views import CameraViewSet
from common.api import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("cameras", CameraViewSet, basename="api-camera")
urlpatterns = router.urls
