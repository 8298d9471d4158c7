from rest_framework.routers import DefaultRouter

from cameras.views import CameraViewSet

router = DefaultRouter(trailing_slash="/?")
router.register("cameras", CameraViewSet, basename="camera")
urlpatterns = router.urls
