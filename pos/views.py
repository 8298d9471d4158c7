"""POS API: thin views over pos.services. Every route is scoped to the caller's organisations' stores."""

from __future__ import annotations

import json

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.models import Store
from cameras.selectors import store_list_for_user
from events.views import LimitedJSONParser, PayloadTooLarge
from pos import selectors, services
from pos.serializers import (
    CsvImportSerializer,
    CsvOptionsSerializer,
    CsvPreviewSerializer,
    CsvUploadSerializer,
    HourlyTotalBatchSerializer,
    PosResultSerializer,
    TransactionBatchSerializer,
)

PREVIEW_ROWS = 20
BATCH_RESPONSES = {
    200: PosResultSerializer,
    201: PosResultSerializer,
    400: OpenApiResponse(PosResultSerializer, description="Malformed body, or every row rejected (each names "
                                                          "its row and field)"),
    409: OpenApiResponse(PosResultSerializer, description="A transaction_id was stored earlier with different "
                                                          "content (`conflicts` names it); the other good rows "
                                                          "were stored"),
    413: OpenApiResponse(description="More than 1000 rows or a body over the limit"),
}


def max_csv_bytes() -> int:
    return int(getattr(settings, "POS_CSV_MAX_BYTES", 256 * 1024 * 1024))


def _batch(request, key: str) -> list:
    data = request.data
    rows = data.get(key) if isinstance(data, dict) else data
    if rows is None:
        raise ValidationError({key: ["This field is required."]})
    if not isinstance(rows, list):
        raise ValidationError({key: ["Expected a list."]})
    if not rows:
        raise ValidationError({key: ["Must hold at least one row."]})
    if len(rows) > services.MAX_BATCH_ROWS:
        raise PayloadTooLarge(f"{key}: at most {services.MAX_BATCH_ROWS} rows per batch (got {len(rows)})")
    return rows


def _user_stores(request, rows: list) -> dict[str, Store]:
    """The stores named in the rows that the caller may write to (others read as unknown)."""
    slugs = {row.get("store_id") for row in rows if isinstance(row, dict) and isinstance(row.get("store_id"), str)}
    return {store.store_id: store for store in store_list_for_user(request.user).filter(store_id__in=slugs)}


def _batch_response(result: services.PosResult) -> Response:
    if result.conflicts:
        code = status.HTTP_409_CONFLICT
    elif result.accepted:
        code = status.HTTP_201_CREATED
    elif result.rejected_count and not result.duplicates:
        code = status.HTTP_400_BAD_REQUEST
    else:
        code = status.HTTP_200_OK
    body = result.as_dict()
    if result.conflicts:
        body["error"] = f"transaction_id: {', '.join(result.conflicts[:10])} already recorded with different content"
    elif code == status.HTTP_400_BAD_REQUEST and result.rejected:
        first = result.rejected[0]
        body["error"] = f"{first['field']}: {first['error']} (row {first.get('index', first.get('line'))})"
    return Response(body, status=code)


class TransactionBatchView(APIView):
    parser_classes = [LimitedJSONParser]

    @extend_schema(
        summary="Send a batch of point-of-sale transactions (idempotent on transaction_id)",
        description=(
            "Up to 1000 `{transaction_id, store_id, ts, amount, currency, items}` objects. Each row is checked on "
            "its own: good rows are stored, rejected rows (unknown store, timestamp before 2000 or in the future, "
            "non-numeric amount, unknown or other currency than the store's) are listed with their `index` and "
            "`field`. Re-sending identical content counts as `duplicates` (200). The same transaction_id with "
            "different content is refused with 409 naming it; the batch's other good rows are still stored. "
            "Negative amounts are refunds: they reduce revenue, not transactions."
        ),
        tags=["pos"], request=TransactionBatchSerializer, responses=BATCH_RESPONSES,
    )
    def post(self, request):
        rows = _batch(request, "transactions")
        result = services.transactions_record_batch(stores=_user_stores(request, rows), rows=rows)
        return _batch_response(result)


class HourlyTotalBatchView(APIView):
    parser_classes = [LimitedJSONParser]

    @extend_schema(
        summary="Send hourly POS totals (tills that export only those)",
        description=(
            "Up to 1000 `{store_id, hour, transactions, revenue[, currency]}` objects; `hour` is the UTC instant "
            "a store-local hour starts. Re-sending an hour replaces its totals. They add to the transactions of "
            "the same hour, if any."
        ),
        tags=["pos"], request=HourlyTotalBatchSerializer, responses=BATCH_RESPONSES,
    )
    def post(self, request):
        rows = _batch(request, "totals")
        result = services.hourly_totals_record(stores=_user_stores(request, rows), rows=rows)
        return _batch_response(result)


def store_for_user_or_404(user, store_id: str) -> Store:
    return get_object_or_404(store_list_for_user(user), store_id=store_id)


def _upload(request) -> tuple:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": ["This field is required (a CSV file)."]})
    if upload.size > max_csv_bytes():
        raise PayloadTooLarge(f"file: larger than {max_csv_bytes()} bytes")
    raw = request.data.get("options")
    options = None
    if raw not in (None, ""):
        try:
            options = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise ValidationError({"options": ["Malformed JSON."]}) from None
        if not isinstance(options, dict):
            raise ValidationError({"options": ["Expected a JSON object."]})
    return upload, options


def _csv_run(request, store: Store, dry_run: bool):
    upload, options = _upload(request)
    try:
        return services.transactions_import(store, upload.open("rb"), options=options, dry_run=dry_run,
                                            preview_rows=PREVIEW_ROWS if dry_run else 0)
    except services.PosInputError as error:
        raise ValidationError({error.field: [error.message]}) from None


class CsvPreviewView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Preview a CSV of transactions: the first rows and every rejection, before anything is written",
        description="Runs the whole import (conflicts with stored rows included) and rolls it back.",
        tags=["pos"], request={"multipart/form-data": CsvUploadSerializer}, responses={200: CsvPreviewSerializer},
    )
    def post(self, request, store_id: str):
        store = store_for_user_or_404(request.user, store_id)
        result, options, rows = _csv_run(request, store, dry_run=True)
        for row in rows:
            row["ts"] = row["ts"].isoformat().replace("+00:00", "Z")
            row["amount"] = str(row["amount"])
        return Response({"store_id": store.store_id, "columns": options.columns, "options": options.as_dict(),
                         "rows": rows, "result": result.as_dict()})


class CsvImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import a CSV of transactions into a store (idempotent; the options are remembered)",
        description="Good rows are stored, rejected rows listed by line and field; 409 when a transaction_id "
                    "was stored earlier with different content.",
        tags=["pos"], request={"multipart/form-data": CsvUploadSerializer},
        responses={200: CsvImportSerializer, 201: CsvImportSerializer, 409: CsvImportSerializer},
    )
    def post(self, request, store_id: str):
        store = store_for_user_or_404(request.user, store_id)
        result, options, _ = _csv_run(request, store, dry_run=False)
        response = _batch_response(result)
        response.data = {"store_id": store.store_id, "options": options.as_dict(), "result": response.data}
        if response.status_code == status.HTTP_400_BAD_REQUEST:  # a file of only bad rows is still a result
            response.status_code = status.HTTP_200_OK
        return response


class CsvMappingView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="The store's remembered CSV options and currency", tags=["pos"],
                   responses={200: CsvOptionsSerializer})
    def get(self, request, store_id: str):
        store = store_for_user_or_404(request.user, store_id)
        read = selectors.pos_settings_read(store)
        return Response({"store_id": store.store_id, "store_currency": read["currency"],
                         **{"mapping": {}, "naive_timestamps": "utc", "currency": ""}, **(read["csv"] or {})})

    @extend_schema(summary="Set the store's remembered CSV options", tags=["pos"], request=CsvOptionsSerializer,
                   responses={200: CsvOptionsSerializer})
    def put(self, request, store_id: str):
        store = store_for_user_or_404(request.user, store_id)
        try:
            saved = services.csv_mapping_save(store, request.data)
        except services.PosInputError as error:
            raise ValidationError({error.field: [error.message]}) from None
        return Response({"store_id": store.store_id, **saved})
