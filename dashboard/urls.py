"""Server-rendered pages (store overview, camera pages, zone editor, analytics) and sign-in/out."""

from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard.pages import analytics as analytics_pages
from dashboard.pages import audits as audit_pages
from dashboard.pages import cameras as camera_pages
from dashboard.pages import pos as pos_pages
from dashboard.pages import zones as zone_pages

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", camera_pages.home, name="home"),
    path("stores/<slug:store_id>/", analytics_pages.store_overview, name="store-overview"),
    path("stores/<slug:store_id>/trends/", analytics_pages.store_trends, name="store-trends"),
    path("stores/<slug:store_id>/spikes/", analytics_pages.store_spikes, name="store-spikes"),
    path("stores/<slug:store_id>/promotions/", analytics_pages.store_promotions, name="store-promotions"),
    path("stores/<slug:store_id>/insights/", analytics_pages.store_insights, name="store-insights"),
    path("stores/<slug:store_id>/export/hourly.csv", analytics_pages.export_hourly_csv, name="export-hourly"),
    path("stores/<slug:store_id>/export/daily.csv", analytics_pages.export_daily_csv, name="export-daily"),
    path("stores/<slug:store_id>/export/accuracy.csv", analytics_pages.export_accuracy_csv, name="export-accuracy"),
    path("cameras/<int:pk>/", camera_pages.camera_detail, name="camera-detail"),
    path("cameras/<int:pk>/screenshot", camera_pages.camera_screenshot, name="camera-screenshot"),
    path("cameras/<int:pk>/live.jpg", camera_pages.camera_live_frame, name="camera-live-frame"),
    path("cameras/<int:pk>/zones/", zone_pages.zone_editor, name="zone-editor"),
    path("cameras/<int:pk>/zones/capture", zone_pages.zone_screenshot_capture, name="zone-screenshot-capture"),
    # point-of-sale pages (dashboard/pages/pos.py) go here
    path("stores/<slug:store_id>/pos/", pos_pages.store_pos, name="store-pos"),
    # count-audit pages (dashboard/pages/audits.py) go here
    path("audits/<int:pk>/", audit_pages.audit_page, name="audit-page"),
    path("audits/<int:pk>/frame", audit_pages.audit_frame, name="audit-frame"),
    path("cameras/<int:pk>/audits/", audit_pages.camera_audits, name="camera-audits"),
]
