"""POS API routes, mounted under /api/ (trailing slash optional); pages live in dashboard/pages/pos.py."""

from django.urls import re_path

from pos import views

STORE = r"(?P<store_id>[-a-zA-Z0-9_]+)"

urlpatterns = [
    re_path(r"^pos/transactions/?$", views.TransactionBatchView.as_view(), name="pos-transactions"),
    re_path(r"^pos/hourly-totals/?$", views.HourlyTotalBatchView.as_view(), name="pos-hourly-totals"),
    re_path(rf"^pos/stores/{STORE}/csv/preview/?$", views.CsvPreviewView.as_view(), name="pos-csv-preview"),
    re_path(rf"^pos/stores/{STORE}/csv/import/?$", views.CsvImportView.as_view(), name="pos-csv-import"),
    re_path(rf"^pos/stores/{STORE}/csv/mapping/?$", views.CsvMappingView.as_view(), name="pos-csv-mapping"),
]
