"""Dashboard API routes (mounted under /api/)."""

from django.urls import re_path

from dashboard import views

urlpatterns = [
    re_path(r"^dashboard/cameras/?$", views.DashboardCamerasView.as_view(), name="dashboard-cameras"),
    re_path(r"^dashboard/live/?$", views.DashboardLiveView.as_view(), name="dashboard-live"),
]
