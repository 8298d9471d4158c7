"""Analytics API: thin views over analytics.selectors / services (the guides' calls, as written)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.insights import insight_generate
from analytics.models import Promotion
from analytics.promotions import promotion_analyze, promotion_impact
from analytics.serializers import (
    MAX_CONTROL_STORES,
    MAX_PERIOD_DAYS,
    AnalysisSerializer,
    AnalyticsHealthSerializer,
    ComprehensiveRequestSerializer,
    ComprehensiveSerializer,
    InsightListSerializer,
    InsightRequestSerializer,
    InsightSerializer,
    PromoQuerySerializer,
    PromotionListSerializer,
    PromotionSerializer,
    RealtimeSerializer,
    SpikesQuerySerializer,
    SpikesSerializer,
    StoreQuerySerializer,
)
from cameras.localtime import local_today
from cameras.selectors import store_list_for_user

STORE_PARAM = OpenApiParameter("store_id", str, required=False, description="Store slug; default: your store(s)")


def _stores(request, store_id: str | None):
    try:
        return selectors.analytics_stores_resolve(request.user, store_id or None)
    except selectors.StoreNotFound:
        raise NotFound(f"store_id: no store {store_id!r}") from None


def _one_store(request, store_id: str | None):
    stores = _stores(request, store_id)
    if len(stores) != 1:
        raise ValidationError({"store_id": ["required: you can see several stores (or none)"]})
    return stores[0]


class RealtimeView(APIView):
    @extend_schema(
        summary="Now: people in store, per zone, queue length, cameras online",
        tags=["analytics"],
        parameters=[STORE_PARAM],
        responses=RealtimeSerializer,
    )
    def get(self, request):
        query = StoreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.realtime_read_many(_stores(request, query.validated_data.get("store_id"))))


class ComprehensiveView(APIView):
    @extend_schema(
        summary="Totals, daily series and zones over the last N days or any period (start_date..end_date)",
        description=(
            "Give exactly one period: `days` (the last N store-local days, today included) or `start_date` and "
            "`end_date` (store-local dates, both included, e.g. last year's Black Friday week). Either form covers "
            f"at most {MAX_PERIOD_DAYS} days (3 years of daily rows). `period` in the answer is the resolved period."
        ),
        tags=["analytics"],
        request=ComprehensiveRequestSerializer,
        responses=ComprehensiveSerializer,
    )
    def post(self, request):
        body = ComprehensiveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        stores = _stores(request, data.get("store_id"))
        return Response(
            selectors.comprehensive_read(
                stores,
                data.get("days"),
                data["include_zones"],
                start_date=data.get("start_date"),
                end_date=data.get("end_date"),
            )
        )


class SpikesView(APIView):
    @extend_schema(
        summary="Spikes and data faults (?date= one day, or ?days= the last N days)",
        tags=["analytics"],
        parameters=[SpikesQuerySerializer],
        responses=SpikesSerializer,
    )
    def get(self, request):
        query = SpikesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        stores = _stores(request, data.get("store_id"))
        if data.get("date"):
            first = last = data["date"]
        else:
            last = local_today(stores[0]) if stores else timezone.now().date()
            first = last - dt.timedelta(days=data["days"] - 1)
        return Response(selectors.spikes_read(stores, first, last))


class PromotionListCreateView(APIView):
    @extend_schema(
        summary="Promotions of your stores",
        tags=["promotions"],
        parameters=[STORE_PARAM],
        responses=PromotionListSerializer,
    )
    def get(self, request):
        query = StoreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stores = _stores(request, query.validated_data.get("store_id"))
        promotions = (
            Promotion.objects.filter(store__in=stores)
            .select_related("store")
            .prefetch_related("control_stores")
            .order_by("-start_date")[:200]
        )
        return Response({"events": PromotionSerializer(promotions, many=True).data})

    @extend_schema(
        summary="Record a promotion (name, event_type, start_date, end_date, description)",
        tags=["promotions"],
        request=PromotionSerializer,
        responses={201: PromotionSerializer},
    )
    def post(self, request):
        body = PromotionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        store = _one_store(request, data.pop("store_id", None))
        control_ids = data.pop("control_store_ids", [])
        controls = list(store_list_for_user(request.user).filter(store_id__in=control_ids))
        missing = sorted(set(control_ids) - {s.store_id for s in controls})
        if missing:
            raise ValidationError({"control_store_ids": [f"unknown store(s): {', '.join(missing)}"]})
        with transaction.atomic():
            promotion = Promotion.objects.create(store=store, **data)
            promotion.control_stores.set([s for s in controls if s.pk != store.pk])
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)


class PromotionAnalyzeView(APIView):
    @extend_schema(
        summary="Impact of a promotion against comparable days",
        tags=["promotions"],
        request=None,
        responses=AnalysisSerializer,
    )
    def post(self, request, pk: int):
        promotion = (
            Promotion.objects.filter(pk=pk, store__in=store_list_for_user(request.user)).select_related("store").first()
        )
        if promotion is None:
            raise NotFound(f"id: no event {pk}")
        return Response(promotion_analyze(promotion))


class PromoAnalysisView(APIView):
    @extend_schema(
        summary="Impact of any period (no stored promotion needed)",
        tags=["promotions"],
        parameters=[PromoQuerySerializer],
        responses=AnalysisSerializer,
    )
    def get(self, request):
        query = PromoQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        store = _one_store(request, data.get("store_id"))
        control_ids = [s.strip() for s in (data.get("control_store_ids") or "").split(",") if s.strip()]
        if len(control_ids) > MAX_CONTROL_STORES:
            raise ValidationError({"control_store_ids": [f"at most {MAX_CONTROL_STORES} stores"]})
        controls = list(store_list_for_user(request.user).filter(store_id__in=control_ids))
        missing = sorted(set(control_ids) - {s.store_id for s in controls})
        if missing:
            raise ValidationError({"control_store_ids": [f"unknown store(s): {', '.join(missing)}"]})
        result = promotion_impact(store, data["start_date"], data["end_date"], controls, weeks=data["weeks"])
        return Response({"event_id": None, **result})


class InsightsView(APIView):
    def get_throttles(self):
        # Only POST calls OpenAI: keep a runaway client from spending the budget; reads stay cheap.
        self.throttle_scope = "insights" if self.request.method == "POST" else None
        return super().get_throttles()
    @extend_schema(
        summary="Stored insights, newest first",
        tags=["insights"],
        parameters=[STORE_PARAM],
        responses=InsightListSerializer,
    )
    def get(self, request):
        query = StoreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stores = _stores(request, query.validated_data.get("store_id"))
        return Response({"insights": InsightSerializer(selectors.insights_list(stores), many=True).data})

    @extend_schema(
        summary="Generate an insight now (OpenAI, or rules without a key)",
        tags=["insights"],
        request=InsightRequestSerializer,
        responses={201: InsightSerializer},
    )
    def post(self, request):
        body = InsightRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        store = _one_store(request, data.get("store_id"))
        end_date = data.get("end_date") or local_today(store) - dt.timedelta(days=1)
        insight = insight_generate(store, end_date, data["days"], trigger="on_demand")
        return Response(InsightSerializer(insight).data, status=status.HTTP_201_CREATED)


class AnalyticsHealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Analytics health: database, last aggregation, pending late hours",
        tags=["analytics"],
        responses={200: AnalyticsHealthSerializer, 503: AnalyticsHealthSerializer},
    )
    def get(self, request):
        body = selectors.analytics_health()
        return Response(
            body, status=status.HTTP_200_OK if body["status"] == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
        )
