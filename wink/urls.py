from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from wink.metrics import healthz_view, metrics_view

admin.site.site_header = "WINK administration"
admin.site.site_title = "WINK"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("healthz", healthz_view, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("cameras.urls")),
    path("api/", include("zones.urls")),
    path("api/", include("events.urls")),
    path("api/", include("dashboard.api_urls")),
    path("api/", include("analytics.urls")),
    path("api/", include("alerts.urls")),
    path("api/", include("pos.urls")),
    path("api/", include("audits.urls")),
    path("", include("workers.urls")),
    path("", include("dashboard.urls")),
]

# No public /media/ route in any mode: camera screenshots show the shop floor, so they are served only by the
# signed-in, tenant-checked view /cameras/<pk>/screenshot (dashboard.pages.cameras.camera_screenshot). nginx-proxy does
# not serve MEDIA_ROOT either (deploy/nginx/proxy.conf); it proxies every path to the web container.
