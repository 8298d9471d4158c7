from django.urls import path

from audits import views

# API routes of the audits app (included under /api/ by wink/urls.py); pages live in dashboard/pages/audits.py.
urlpatterns = [
    path("audits", views.AuditListCreateView.as_view(), name="audit-list"),
    path("audits/<int:pk>", views.AuditDetailView.as_view(), name="audit-detail"),
    path("audits/<int:pk>/frames", views.AuditFramesView.as_view(), name="audit-frames"),
    path("audits/<int:pk>/result", views.AuditResultView.as_view(), name="audit-result"),
    path("audits/<int:pk>/upload", views.AuditUploadRequestView.as_view(), name="audit-upload"),
    path("cameras/<str:pk>/accuracy", views.CameraAccuracyView.as_view(), name="camera-accuracy"),
    path("ingest/audits", views.EdgeAuditWindowsView.as_view(), name="ingest-audits"),
    path("ingest/audits/<int:pk>/evidence", views.EdgeEvidenceView.as_view(), name="ingest-audit-evidence"),
]
