from django.urls import path

from zones import views

urlpatterns = [
    path("zones/screenshot", views.ScreenshotUploadView.as_view(), name="zone-screenshot"),
    path("zones/line", views.EntranceLineView.as_view(), name="zone-line"),
    path("zones", views.ZoneListCreateView.as_view(), name="zone-list"),
    path("zones/<int:pk>", views.ZoneDetailView.as_view(), name="zone-detail"),
    path("cameras/<str:pk>/config", views.CameraPipelineConfigView.as_view(), name="camera-config"),
]
