"""Store overview and analytics pages, plus CSV export. Thin and tenant-scoped.

The overview's live numbers come from the JSON API (static/js/overview.js polls it), so the page and the API
can never disagree; the analytics pages list rows the analytics jobs stored.
"""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from analytics.exports import (
    DAILY_HEADER,
    HOURLY_HEADER,
    ExportError,
    _cell,
    daily_metric_rows,
    export_range_parse,
    hourly_metric_rows,
)
from analytics.models import DailyMetric, MetricScope, Promotion, SpikeAlert
from analytics.promotions import PROMO_METRICS
from analytics.selectors import comprehensive_read, insights_list, spikes_read
from analytics.serializers import MAX_PERIOD_DAYS
from analytics.staff import staff_crossings_count
from audits.selectors import ACCURACY_CSV_HEADER, accuracy_badge, camera_accuracy, store_accuracy_rows
from cameras.localtime import local_day_bounds, local_today
from cameras.selectors import camera_list_for_user
from dashboard.pages.cameras import store_for_user_or_404
from events import timebounds
from zones.models import Zone

TREND_DAYS = {"14": 14, "30": 30, "90": 90, "365": 365}
# "Same period last year": the weekday-aligned form is the default because store traffic follows the week
# (a Saturday is not a Tuesday), and moving holidays such as Black Friday keep their weekday: 364 days
# earlier is 52 whole weeks, Monday against Monday. "Same dates" suits fixed-date days (Christmas Eve).
COMPARE_CHOICES = [
    ("", "No comparison"),
    ("weekday", "Same period last year, same weekdays (364 days earlier)"),
    ("date", "Same period last year, same dates"),
]
DEFAULT_COMPARE = "weekday"


def last_year_date(day: dt.date, align: str = DEFAULT_COMPARE) -> dt.date:
    """The store-local day one year before `day`: 52 weeks earlier (`weekday`), or the same month and day
    (`date`), where 29 February falls back to 28 February of the year before."""
    if align == "weekday":
        return day - dt.timedelta(days=364)
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _trend_period(params, today: dt.date) -> tuple[dt.date, dt.date, int | None, str | None]:
    """The trends page's period: `from`/`to` (YYYY-MM-DD, store-local, inclusive, at most MAX_PERIOD_DAYS,
    bounded by events.timebounds) or `days` (the last N days). A bad range falls back to 30 days, with why."""
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if raw_from or raw_to:
        try:
            first = timebounds.parse_date(raw_from, "from", today)
            last = timebounds.parse_date(raw_to, "to", today) if raw_to else today
            if last < first:
                raise timebounds.TimeBoundError("to", "must be on or after from")
            if (last - first).days + 1 > MAX_PERIOD_DAYS:
                raise timebounds.TimeBoundError("to", f"a period is at most {MAX_PERIOD_DAYS} days (3 years)")
            return first, last, None, None
        except timebounds.TimeBoundError as error:
            days = 30
            return today - dt.timedelta(days=days - 1), today, days, f"{error.field}: {error.message}"
    days = TREND_DAYS.get(params.get("days", "30"), 30)
    return today - dt.timedelta(days=days - 1), today, days, None
SPIKE_DAYS = {"7": 7, "14": 14, "30": 30}


def _store_nav(store, active: str) -> dict:
    return {"store": store, "active": active}


@login_required
@ensure_csrf_cookie
def store_overview(request, store_id: str):
    store = store_for_user_or_404(request.user, store_id)
    cameras = list(camera_list_for_user(request.user).filter(store=store).order_by("camera_id"))
    for camera in cameras:  # #16: each camera's published (audited) accuracy, or "not audited yet"
        camera.audited_badge = accuracy_badge(camera_accuracy(camera))
    return render(request, "analytics/overview.html", {
        **_store_nav(store, "overview"),
        "cameras": cameras,
        "today": local_today(store),
        # GUIDE §2 Staff: door crossings of staff tracks that footfall left out today (shown only when some were).
        "staff_crossings_today": staff_crossings_count(store.pk, local_day_bounds(store, local_today(store))[0],
                                                       timezone.now()),
        "config": {
            "store_id": store.store_id,
            "timezone": store.timezone,
            "poll_seconds": 15,
            "api": {
                "live": f"/api/dashboard/live?store_id={store.store_id}",
                "cameras": f"/api/dashboard/cameras?store_id={store.store_id}",
                "realtime": f"/api/analytics/realtime?store_id={store.store_id}",
                "spikes": f"/api/analytics/spikes?store_id={store.store_id}&days=7",
                "insights": f"/api/analytics/insights?store_id={store.store_id}",
            },
            # Display names for the zone slugs the API reports.
            "names": dict(Zone.objects.filter(camera__store=store).values_list("zone_id", "name")),
        },
    })


@login_required
def store_trends(request, store_id: str):
    store = store_for_user_or_404(request.user, store_id)
    today = local_today(store)
    first, last, days, period_error = _trend_period(request.GET, today)
    # The selector behind POST /api/analytics/comprehensive, so this page and the API agree.
    report = comprehensive_read([store], include_zones=True, start_date=first, end_date=last)
    for row in (report["totals"], *report["daily"]):  # POS conversion as a percentage; None = no POS data
        row["conversion_pct"] = row["conversion_rate"] * 100 if row.get("conversion_rate") is not None else None
    by_date = {row["date"]: row for row in report["daily"]}
    with_year = first.year != last.year
    series = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        row = by_date.get(day)
        series.append({
            "date": day.isoformat(),
            "label": day.strftime("%d %b %Y" if with_year else "%d %b"),
            "footfall": row["footfall"] if row else None,
            "unique_visitors": row["unique_visitors"] if row else None,
            "avg_queue_wait": row["avg_queue_wait"] if row else None,
            # The day each "same period last year" series compares this day with.
            "last_year": {align: last_year_date(day, align).isoformat() for align, _ in COMPARE_CHOICES if align},
        })
    compare = request.GET.get("compare", "")
    compare = compare if compare in dict(COMPARE_CHOICES) else ""
    return render(request, "analytics/trends.html", {
        **_store_nav(store, "trends"),
        "report": report,
        "rows": sorted(report["daily"], key=lambda r: r["date"], reverse=True),
        "series": series,
        "days": days,
        "day_choices": [(k, f"{v} days") for k, v in TREND_DAYS.items()],
        "first": first,
        "last": last,
        "today": today,
        "period_error": period_error,
        "compare": compare,
        "compare_choices": COMPARE_CHOICES,
        "max_days": MAX_PERIOD_DAYS,
        "trend_config": {
            "store_id": store.store_id,
            "api": "/api/analytics/comprehensive",
            "compare": compare,
            "period": {"start_date": first.isoformat(), "end_date": last.isoformat()},
            # The periods each comparison asks the API for (start_date/end_date, store-local, inclusive).
            "last_year": {
                align: {
                    "start_date": last_year_date(first, align).isoformat(),
                    "end_date": last_year_date(last, align).isoformat(),
                    "label": label,
                }
                for align, label in COMPARE_CHOICES
                if align
            },
        },
    })


@login_required
def store_spikes(request, store_id: str):
    store = store_for_user_or_404(request.user, store_id)
    days = SPIKE_DAYS.get(request.GET.get("days", "14"), 14)
    today = local_today(store)
    # Computed by the same selector as GET /api/analytics/spikes (spikes are not only what was stored).
    report = spikes_read([store], today - dt.timedelta(days=days - 1), today)
    spikes = sorted(report["spikes"], key=lambda s: s["start"], reverse=True)
    return render(request, "analytics/spikes.html", {
        **_store_nav(store, "spikes"),
        "spikes": spikes,
        "coverage": report["coverage"],
        "days": days,
        "day_choices": [(k, f"{v} days") for k, v in SPIKE_DAYS.items()],
        "fault_count": sum(1 for s in spikes if s["kind"] == SpikeAlert.Kind.DATA_FAULT),
    })


def _promotion_view(store, promotion: Promotion) -> dict:
    """A promotion with its impact series: daily footfall from 14 days before to 7 days after."""
    analysis = promotion.analysis if isinstance(promotion.analysis, dict) else {}
    metrics = analysis.get("metrics") if isinstance(analysis.get("metrics"), dict) else {}
    first = promotion.start_date - dt.timedelta(days=14)
    last = promotion.end_date + dt.timedelta(days=7)
    daily = {
        row.date: row.footfall_in
        for row in DailyMetric.objects.filter(
            store=store, scope=MetricScope.STORE, scope_id="", date__gte=first, date__lte=last
        )
    }
    baseline = (metrics.get("footfall") or {}).get("baseline")
    series = []
    day = first
    while day <= last:
        series.append({
            "date": day.isoformat(), "label": day.strftime("%d %b"), "footfall_in": daily.get(day),
            "during": promotion.start_date <= day <= promotion.end_date,
            "baseline": baseline if promotion.start_date <= day <= promotion.end_date else None,
        })
        day += dt.timedelta(days=1)
    rows = [
        {"label": PROMO_METRICS[name][1], **values}
        for name, values in metrics.items() if name in PROMO_METRICS and isinstance(values, dict)
    ]
    return {"promotion": promotion, "dom_id": f"promo-series-{promotion.pk}", "analysis": analysis,
            "verdict": analysis.get("verdict"), "lift": (metrics.get("footfall") or {}).get("uplift_pct"),
            "metric_rows": rows, "series": series}


@login_required
def store_promotions(request, store_id: str):
    store = store_for_user_or_404(request.user, store_id)
    promotions = [_promotion_view(store, p) for p in Promotion.objects.filter(store=store).order_by("-start_date")[:50]]
    return render(request, "analytics/promotions.html", {**_store_nav(store, "promotions"), "promotions": promotions})


@login_required
def store_insights(request, store_id: str):
    store = store_for_user_or_404(request.user, store_id)
    return render(request, "analytics/insights.html", {
        **_store_nav(store, "insights"), "insights": insights_list([store], limit=100),
    })


class _Echo:
    def write(self, value):
        return value


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(request, store_id: str, kind: str):
    store = store_for_user_or_404(request.user, store_id)
    try:
        first, last, scope = export_range_parse(
            request.GET, local_today(store), default_days=7 if kind == "hourly" else 30
        )
    except ExportError as error:
        return HttpResponse(f"{error}\n", status=400, content_type="text/plain; charset=utf-8")
    filename = f"{store.store_id}_{kind}_{first.isoformat()}_{last.isoformat()}.csv"
    if kind == "hourly":
        return _csv_response(filename, HOURLY_HEADER, hourly_metric_rows(store, first, last, scope))
    return _csv_response(filename, DAILY_HEADER, daily_metric_rows(store, first, last, scope))


@login_required
def export_hourly_csv(request, store_id: str):
    return _export(request, store_id, "hourly")


@login_required
def export_daily_csv(request, store_id: str):
    return _export(request, store_id, "daily")


@login_required
def export_accuracy_csv(request, store_id: str):
    """#16: each camera's published accuracy (pooled over its done audits, Wilson 95%), one row per camera."""
    store = store_for_user_or_404(request.user, store_id)
    rows = ([_cell(v) for v in row] for row in store_accuracy_rows(store))
    return _csv_response(f"{store.store_id}_accuracy.csv", ACCURACY_CSV_HEADER, rows)
