from django.urls import path  # noqa: F401

# API routes of the pos app (included under /api/ by wink/urls.py); pages live in dashboard/pages/.
urlpatterns: list = []
