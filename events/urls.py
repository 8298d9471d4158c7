"""Edge ingestion and edge-key administration routes (mounted under /api/)."""

from django.urls import re_path

from events import views

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

urlpatterns = [
    re_path(r"^admin/edge-keys/?$", views.EdgeKeyListCreateView.as_view(), name="edge-keys"),
    re_path(rf"^admin/edge-keys/(?P<key_id>{UUID})/revoke/?$", views.EdgeKeyRevokeView.as_view(),
            name="edge-key-revoke"),
    re_path(rf"^admin/edge-keys/(?P<key_id>{UUID})/?$", views.EdgeKeyDetailView.as_view(), name="edge-key-detail"),
    re_path(r"^ingest/events/?$", views.IngestEventsView.as_view(), name="ingest-events"),
    re_path(r"^ingest/heartbeat/?$", views.HeartbeatView.as_view(), name="ingest-heartbeat"),
    re_path(r"^ingest/health/?$", views.HealthView.as_view(), name="ingest-health"),
]
