"""Request validation and response shapes (also what the OpenAPI schema documents) for analytics."""

from __future__ import annotations

from rest_framework import serializers

from analytics.models import Insight, Promotion
from events import timebounds

MAX_CONTROL_STORES = 50
MAX_DESCRIPTION_CHARS = 5000
STORE_ID_HELP = "Store slug, e.g. store_demo_001. Default: STORE_ID when visible to you, else all your stores."


# --- requests -----------------------------------------------------------------------------------


class BoundedDateField(serializers.DateField):
    """A YYYY-MM-DD date within `events.timebounds` (2000-01-01 .. today + a year): dates near the ends
    of Python's range would overflow the date arithmetic behind every analytics read."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        try:
            return timebounds.check_date(day, self.field_name)
        except timebounds.TimeBoundError as error:
            raise serializers.ValidationError(error.message) from None



class StoreQuerySerializer(serializers.Serializer):
    store_id = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=STORE_ID_HELP)


MAX_PERIOD_DAYS = 1096  # three years of daily rows (one of them a leap year)


class ComprehensiveRequestSerializer(StoreQuerySerializer):
    """A period as `days` (the last N store-local days, today included) or as `start_date` + `end_date`."""

    days = serializers.IntegerField(
        min_value=1, max_value=MAX_PERIOD_DAYS, required=False,
        help_text=f"The last N store-local days, today included (1..{MAX_PERIOD_DAYS}). Not with start_date/end_date.",
    )
    start_date = BoundedDateField(
        required=False,
        help_text="First store-local day, YYYY-MM-DD, inclusive (2000-01-01 .. today + 366 days); with end_date, "
        f"instead of days. The period holds at most {MAX_PERIOD_DAYS} days.",
    )
    end_date = BoundedDateField(
        required=False, help_text="Last store-local day, YYYY-MM-DD, inclusive, on or after start_date"
    )
    include_zones = serializers.BooleanField(default=False)

    def validate(self, attrs):
        has_days = "days" in attrs
        dates = [name for name in ("start_date", "end_date") if name in attrs]
        if has_days and dates:
            message = f"give either days or start_date and end_date, not both (got days and {' and '.join(dates)})"
            raise serializers.ValidationError({name: [message] for name in ["days", *dates]})
        if not has_days and not dates:
            raise serializers.ValidationError(
                {"days": ["required: give days (the last N days) or start_date and end_date"]}
            )
        if has_days:
            return attrs
        if len(dates) == 1:
            missing = "end_date" if dates == ["start_date"] else "start_date"
            raise serializers.ValidationError({missing: [f"required with {dates[0]}"]})
        span = (attrs["end_date"] - attrs["start_date"]).days + 1
        if span < 1:
            raise serializers.ValidationError({"end_date": ["must be on or after start_date"]})
        if span > MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"end_date": [f"a period is at most {MAX_PERIOD_DAYS} days (3 years); this one has {span}"]}
            )
        return attrs


class SpikesQuerySerializer(StoreQuerySerializer):
    date = BoundedDateField(required=False, help_text="One store-local day, YYYY-MM-DD")
    days = serializers.IntegerField(min_value=1, max_value=90, default=7, help_text="Last N days (ignored with date)")


class PromoQuerySerializer(StoreQuerySerializer):
    start_date = BoundedDateField()
    end_date = BoundedDateField()
    control_store_ids = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_CONTROL_STORES * 101,
        help_text="Comma-separated slugs of control stores without the promotion",
    )
    weeks = serializers.IntegerField(min_value=1, max_value=12, default=4, help_text="Baseline weeks before the start")

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["must be on or after start_date"]})
        if (attrs["end_date"] - attrs["start_date"]).days > 92:
            raise serializers.ValidationError({"end_date": ["a promotion period is at most 93 days"]})
        return attrs


class PromotionSerializer(serializers.ModelSerializer):
    """POST /api/events body (the guide's fields) and the promotion returned."""

    store_id = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=STORE_ID_HELP)
    start_date = BoundedDateField()
    end_date = BoundedDateField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_DESCRIPTION_CHARS)
    control_store_ids = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=MAX_CONTROL_STORES,
        help_text=f"Slugs of comparable stores without the promotion (at most {MAX_CONTROL_STORES})",
    )

    class Meta:
        model = Promotion
        fields = [
            "id",
            "store_id",
            "name",
            "event_type",
            "start_date",
            "end_date",
            "description",
            "control_store_ids",
            "analysis",
            "analyzed_at",
            "created_at",
        ]
        read_only_fields = ["id", "analysis", "analyzed_at", "created_at"]

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["must be on or after start_date"]})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["store_id"] = instance.store.store_id
        data["control_store_ids"] = [s.store_id for s in instance.control_stores.all()]
        return data


class PromotionListSerializer(serializers.Serializer):
    events = PromotionSerializer(many=True)


class InsightRequestSerializer(StoreQuerySerializer):
    days = serializers.IntegerField(min_value=1, max_value=31, default=7)
    end_date = BoundedDateField(required=False, help_text="Last store-local day; default yesterday")


# --- responses ----------------------------------------------------------------------------------


class CameraNowSerializer(serializers.Serializer):
    camera_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["online", "offline"])
    last_heartbeat = serializers.DateTimeField(allow_null=True)


class HourCompareSerializer(serializers.Serializer):
    hour = serializers.IntegerField()
    footfall = serializers.IntegerField(allow_null=True)
    last_week = serializers.IntegerField()


class RealtimeSerializer(serializers.Serializer):
    store_id = serializers.CharField(allow_null=True)
    timestamp = serializers.DateTimeField()
    people_in_store = serializers.IntegerField(help_text="Today's in − out at the doors, else people in view")
    people_in_view = serializers.IntegerField()
    zones = serializers.DictField(child=serializers.DictField(), help_text="{zone_id: {people}}")
    queues = serializers.DictField(child=serializers.DictField(), help_text="{queue_id: {length}}")
    queue_length = serializers.IntegerField()
    cameras_online = serializers.IntegerField()
    cameras_total = serializers.IntegerField()
    cameras = CameraNowSerializer(many=True)
    footfall = serializers.DictField(child=serializers.IntegerField(), help_text="{in, out} today")
    footfall_today = serializers.IntegerField()
    footfall_same_weekday_last_week = serializers.IntegerField(help_text="Up to the same local time")
    staff_crossings_today = serializers.IntegerField(help_text="Door crossings of staff tracks, left out of footfall")
    change_pct = serializers.FloatField(allow_null=True)
    conversion = serializers.DictField(
        help_text="Point of sale today so far and on the same weekday last week up to the same local time: "
                  "{today: {transactions, revenue, conversion_rate, avg_transaction_value, revenue_per_visitor}, "
                  "same_weekday_last_week: {…}, change_points}; null figures = no POS data (never 0%)")
    hourly = HourCompareSerializer(many=True, required=False)
    stores = serializers.ListField(child=serializers.DictField(), help_text="Per store, same fields")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class TotalsSerializer(serializers.Serializer):
    footfall = serializers.IntegerField()
    footfall_out = serializers.IntegerField()
    unique_visitors = serializers.IntegerField(help_text="Sum of daily distinct visitors")
    zone_entries = serializers.IntegerField()
    shelf_interactions = serializers.IntegerField()
    queue_served = serializers.IntegerField()
    avg_queue_wait = serializers.FloatField(allow_null=True, help_text="Seconds, weighted by people served")
    peak_occupancy = serializers.IntegerField()
    # Point of sale (GUIDE §2); null where the period has no POS data, never 0.
    transactions = serializers.IntegerField(allow_null=True, help_text="Sales (refunds do not count)")
    revenue = serializers.FloatField(allow_null=True, help_text="Net of refunds, in the store's currency")
    conversion_rate = serializers.FloatField(
        allow_null=True, help_text="transactions ÷ footfall in of the hours that have POS data (0..1)")
    avg_transaction_value = serializers.FloatField(allow_null=True, help_text="revenue ÷ transactions")
    revenue_per_visitor = serializers.FloatField(allow_null=True, help_text="revenue ÷ footfall in (POS hours)")
    # GUIDE §2 Staff: staff tracks are left out of every figure above and reported here.
    staff_crossings = serializers.IntegerField(help_text="Entrance crossings of staff tracks, left out of footfall")
    staff_hours = serializers.FloatField(help_text="Hours staff tracks were present (summed over staff)")


class DailySerializer(TotalsSerializer):
    """One day: the same numbers as the period totals plus the day's trends."""

    date = serializers.DateField()
    unique_visitors = serializers.IntegerField(help_text="Distinct visitors that day")
    dod_pct = serializers.FloatField(allow_null=True, help_text="Footfall, day over day (single store)")
    wow_pct = serializers.FloatField(allow_null=True, help_text="Footfall, week over week (single store)")
    vs_weekday_avg_pct = serializers.FloatField(allow_null=True, help_text="Against the same weekday, last 4 weeks")


class ZoneTotalsSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    unique_visitors = serializers.IntegerField()
    avg_dwell = serializers.FloatField(allow_null=True)


class StoreRefSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()


class ComprehensivePeriodSerializer(PeriodSerializer):
    """The period the report covers, resolved from `days` or `start_date`/`end_date` (store-local, inclusive)."""

    start = serializers.DateField(help_text="First store-local day (the request's start_date, or today − days + 1)")
    end = serializers.DateField(help_text="Last store-local day (the request's end_date, or today)")
    days = serializers.IntegerField(help_text="Days in the period, both ends included")


class ComprehensiveSerializer(serializers.Serializer):
    period = ComprehensivePeriodSerializer()
    stores = StoreRefSerializer(many=True)
    totals = TotalsSerializer()
    daily = DailySerializer(many=True)
    zones = serializers.DictField(child=ZoneTotalsSerializer(), required=False, help_text="Only with include_zones")
    shelves = serializers.DictField(child=serializers.DictField(), required=False)
    queues = serializers.DictField(child=serializers.DictField(), required=False)


class SpikeSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    metric = serializers.CharField(
        help_text="footfall, zone_entries, shelf_interactions, queue_served, camera_<fault>, or conversion (kind "
                  "conversion: transactions fell while footfall held; observed/expected are transactions)"
    )
    scope_id = serializers.CharField(allow_blank=True)
    observed = serializers.FloatField()
    expected = serializers.FloatField()
    score = serializers.FloatField(help_text="Signed deviation in robust spreads (MAD)")
    direction = serializers.ChoiceField(choices=["up", "down"])
    kind = serializers.ChoiceField(choices=["traffic", "data_fault", "conversion"])
    hours = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    cameras = serializers.ListField(child=serializers.CharField())


class SpikesSerializer(serializers.Serializer):
    period = PeriodSerializer()
    stores = serializers.ListField(child=serializers.CharField())
    spikes = SpikeSerializer(many=True)
    coverage = serializers.FloatField(min_value=0, max_value=1, help_text="Share of camera-hours without a data fault")


class UpliftSerializer(serializers.Serializer):
    during = serializers.FloatField(allow_null=True, help_text="Daily average during the promotion")
    baseline = serializers.FloatField(allow_null=True, help_text="Daily average on the baseline days")
    uplift_pct = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    days = serializers.IntegerField()
    baseline_days = serializers.IntegerField()


class AnalysisSerializer(serializers.Serializer):
    event_id = serializers.IntegerField(allow_null=True)
    store_id = serializers.CharField()
    period = PeriodSerializer()
    baseline = serializers.DictField()
    metrics = serializers.DictField(
        child=UpliftSerializer(),
        help_text="footfall, zone_visits, shelf_interactions, queue_wait, conversion, revenue (POS)",
    )
    verdict = serializers.CharField()


class InsightSerializer(serializers.ModelSerializer):
    store_id = serializers.CharField(source="store.store_id", read_only=True)

    class Meta:
        model = Insight
        fields = [
            "id",
            "store_id",
            "period_start",
            "period_end",
            "title",
            "summary",
            "recommendations",
            "cited_numbers",
            "source",
            "model_name",
            "trigger",
            "created_at",
        ]


class InsightListSerializer(serializers.Serializer):
    insights = InsightSerializer(many=True)


class AnalyticsHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    database = serializers.CharField()
    server_ts = serializers.DateTimeField()
    last_aggregation_at = serializers.DateTimeField(allow_null=True)
    stale_hours_pending = serializers.IntegerField(allow_null=True)
    insights_backend = serializers.ChoiceField(choices=["openai", "rules"])
