"""Analytics routes under /api/ (trailing slash optional, as the guides write them without one)."""

from django.urls import re_path

from analytics import views

urlpatterns = [
    re_path(r"^analytics/realtime/?$", views.RealtimeView.as_view(), name="analytics-realtime"),
    re_path(r"^analytics/comprehensive/?$", views.ComprehensiveView.as_view(), name="analytics-comprehensive"),
    re_path(r"^analytics/spikes/?$", views.SpikesView.as_view(), name="analytics-spikes"),
    re_path(r"^analytics/promo/?$", views.PromoAnalysisView.as_view(), name="analytics-promo"),
    re_path(r"^analytics/insights/?$", views.InsightsView.as_view(), name="analytics-insights"),
    re_path(r"^analytics/health/?$", views.AnalyticsHealthView.as_view(), name="analytics-health"),
    re_path(r"^events/?$", views.PromotionListCreateView.as_view(), name="promotion-list"),
    re_path(r"^events/(?P<pk>[0-9]+)/analyze/?$", views.PromotionAnalyzeView.as_view(), name="promotion-analyze"),
    # Alias used by the promotions page text.
    re_path(r"^analytics/events/?$", views.PromotionListCreateView.as_view(), name="analytics-promotion-list"),
    re_path(
        r"^analytics/events/(?P<pk>[0-9]+)/analyze/?$",
        views.PromotionAnalyzeView.as_view(),
        name="analytics-promotion-analyze",
    ),
]
