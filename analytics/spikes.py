"""Seasonal, robust spike detection on hourly metrics, with data faults told apart from traffic.

For every store-local hour of the period and every metric, the expectation is the median of the same
local hour on the same weekday over the previous `weeks` weeks; the spread is the MAD (×1.4826), floored
at the Poisson noise √expected so that quiet hours do not alarm on a handful of people. A deviation of
`threshold` spreads or more (and at least `min_delta` people) is a spike, `up` or `down`, with `score`
= signed deviation in spreads.

Before calling a deviation traffic, the cameras behind the metric are checked for that hour:
- no_heartbeat: the camera did not report during the hour (`camera_online` False);
- camera_offline: the camera counted nothing where its own history expects activity;
- flat_lined: the camera repeated exactly the same non-zero counts for `flat_hours` hours or more;
- in_out_mismatch: the in/out balance of an entrance camera is far (×`ratio_factor`) from its usual one.
Faulty camera-hours are reported as `kind = "data_fault"` and a metric deviation in such an hour is
reported as a data fault too, never as traffic. `coverage` = share of camera-hours of the period
without a fault (1.0 = every camera worked all the time).

Conversion (POS data, GUIDE §2): an hour whose transactions fall well below its slot's usual conversion × its
footfall while footfall holds is a finding of its own, `kind = "conversion"` (staffing, stock-outs), metric
`conversion`, observed/expected in transactions. Hours without POS data are never evidence.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models.functions import ExtractIsoWeekDay

from alerts.services import alerts_notify
from analytics.models import HourlyMetric, SpikeAlert
from cameras.localtime import local_date
from cameras.models import Store

# Public metric name → HourlyMetric field.
SPIKE_METRICS = {
    "footfall": "footfall_in",
    "zone_entries": "entries",
    "shelf_interactions": "interactions",
    "queue_served": "served",
}
_ACTIVITY = ("footfall_in", "footfall_out", "entries", "interactions", "served")


@dataclass
class SpikeSettings:
    weeks: int = 6
    min_history: int = 3
    threshold: float = 4.0
    min_delta: float = 5.0
    min_expected_activity: float = 5.0
    flat_hours: int = 3
    ratio_factor: float = 3.0
    min_in_out: int = 20
    # Conversion drop (POS data): an hour with at least this footfall whose transactions fall `threshold`
    # binomial spreads and `conversion_drop` (relative) below the usual conversion of its slot, while footfall
    # holds (at least `footfall_hold` of its usual level).
    min_conversion_footfall: int = 20
    conversion_drop: float = 0.25
    footfall_hold: float = 0.75


@dataclass
class SpikeReport:
    spikes: list[dict] = field(default_factory=list)
    coverage: float = 1.0
    camera_hours: int = 0
    faulty_camera_hours: int = 0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _floor_spread(median: float) -> float:
    """Smallest spread we accept: Poisson noise √expected (and at least one person)."""
    return max(math.sqrt(max(median, 0.0)), 1.0)


def _robust(history: list[float], median: float | None = None) -> tuple[float, float]:
    median = _median(history) if median is None else median
    mad = _median([abs(x - median) for x in history])
    return median, max(1.4826 * mad, _floor_spread(median))


def _activity(row: dict) -> int:
    activity = row.get("_activity")
    if activity is None:
        activity = row["_activity"] = sum(row[name] for name in _ACTIVITY)
    return activity


def _slot(row: dict) -> tuple[int, int]:
    return row["dow"], row["local_hour"]


def _raw(queryset) -> list[tuple]:
    """Rows of a values_list queryset straight from the cursor (ORM converters cost ~25 µs a row here)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        # SQLite hands back naive datetimes (stored in UTC): make them aware as the ORM would.
        rows = [
            tuple(v.replace(tzinfo=dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo is None else v for v in row)
            for row in rows
        ]
    return rows


def _load(store: Store, start: dt.datetime, end: dt.datetime, weeks: int) -> tuple[list[dict], list[dict]]:
    """(history rows, period rows) of the store and camera scopes, oldest first.

    Filters on local_date too so the (store, scope, local_date) index serves the range; history rows skip
    `hour_start` (parsing thousands of timestamps is most of the cost of a 7-week read).
    """
    first_day = local_date(store, start - dt.timedelta(weeks=weeks, days=1))
    last_day = local_date(store, end + dt.timedelta(days=1))
    base = HourlyMetric.objects.filter(
        store=store, scope__in=("store", "camera"), local_date__gte=first_day, local_date__lte=last_day
    ).annotate(dow=ExtractIsoWeekDay("local_date"))
    counts = ("scope", "scope_id", "dow", "local_hour", *_ACTIVITY, "transactions", "conversion_rate")
    fields = (*counts, "hour_start", "camera_online")
    history_start = start - dt.timedelta(weeks=weeks, days=1)
    history_qs = base.filter(hour_start__gte=history_start, hour_start__lt=start).order_by("hour_start")
    history_qs = history_qs.values_list(*counts)
    period_qs = base.filter(hour_start__gte=start, hour_start__lt=end).order_by("hour_start").values_list(*fields)
    history = [dict(zip(counts, values, strict=True)) for values in _raw(history_qs)]
    period = [dict(zip(fields, values, strict=True)) for values in _raw(period_qs)]
    return history, period


def spikes_detect(
    store: Store, start: dt.datetime, end: dt.datetime, config: SpikeSettings | None = None
) -> SpikeReport:
    """Spikes and data faults of one store over the UTC range [start, end) (whole store-local hours).

    An hour's baseline is the same slot (weekday, local hour) in the `weeks` weeks before it, which may
    lie inside the period itself for periods longer than a week.
    """
    config = config or SpikeSettings()
    history_rows, period_rows = _load(store, start, end, config.weeks)
    slots: dict[tuple, list[dict]] = defaultdict(list)  # (scope, scope_id, weekday, hour) → rows, oldest first
    period: dict[tuple[str, str], list[dict]] = defaultdict(list)
    position: dict[int, int] = {}  # id(period row) → its index in its slot list
    for row in history_rows:
        key = (row["scope"], row["scope_id"], *_slot(row))
        slots[key].append(row)
    for row in period_rows:
        key = (row["scope"], row["scope_id"], *_slot(row))
        position[id(row)] = len(slots[key])
        slots[key].append(row)
        period[(row["scope"], row["scope_id"])].append(row)

    def past(scope: str, scope_id: str, row: dict) -> list[dict]:
        items = slots[(scope, scope_id, *_slot(row))]
        at = position[id(row)]
        return items[max(0, at - config.weeks) : at]

    # Which cameras feed which metric: the ones whose own history has that count.
    feeds: dict[str, set[str]] = defaultdict(set)
    for row in history_rows:
        if row["scope"] == "camera":
            for metric, name in SPIKE_METRICS.items():
                if row[name]:
                    feeds[metric].add(row["scope_id"])

    faults: dict[dt.datetime, dict[str, list[str]]] = defaultdict(dict)  # hour → camera → reasons
    fault_rows: list[tuple[str, dict, str, float, float]] = []
    camera_hours = 0
    for (scope, camera), items in period.items():
        if scope != "camera":
            continue
        streak = 0
        previous = None
        for pos, row in enumerate(items):
            camera_hours += 1
            reasons = []
            activity = _activity(row)
            past_rows = past("camera", camera, row)
            expected = _median([_activity(r) for r in past_rows]) if len(past_rows) >= config.min_history else None
            signature = tuple(row[name] for name in _ACTIVITY)
            streak = streak + 1 if previous is not None and signature == previous and activity > 0 else 1
            previous = signature
            if row["camera_online"] is False:
                reasons.append("no_heartbeat")
            elif expected is not None and expected >= config.min_expected_activity and activity == 0:
                reasons.append("camera_offline")
            if streak >= config.flat_hours and expected is not None and expected >= config.min_expected_activity:
                reasons.append("flat_lined")
                # The hours before that started the streak are part of the same fault.
                for earlier in items[max(0, pos - streak + 1) : pos]:
                    if "flat_lined" not in faults[earlier["hour_start"]].get(camera, []):
                        faults[earlier["hour_start"]].setdefault(camera, []).append("flat_lined")
                        fault_rows.append((camera, earlier, "flat_lined", float(_activity(earlier)), expected))
            if row["footfall_in"] + row["footfall_out"] >= config.min_in_out and len(past_rows) >= config.min_history:
                ratios = [
                    math.log((r["footfall_in"] + 1) / (r["footfall_out"] + 1))
                    for r in past_rows
                    if r["footfall_in"] + r["footfall_out"] >= config.min_in_out
                ]
                if len(ratios) >= config.min_history:
                    ratio = math.log((row["footfall_in"] + 1) / (row["footfall_out"] + 1))
                    if abs(ratio - _median(ratios)) > math.log(config.ratio_factor):
                        reasons.append("in_out_mismatch")
            for reason in reasons:
                if reason not in faults[row["hour_start"]].get(camera, []):
                    faults[row["hour_start"]].setdefault(camera, []).append(reason)
                    fault_rows.append((camera, row, reason, float(activity), float(expected or 0.0)))

    hourly_spikes: list[dict] = []
    for row in period.get(("store", ""), []):
        for metric, name in SPIKE_METRICS.items():
            past_rows = past("store", "", row)
            if len(past_rows) < config.min_history:
                continue
            values = [float(r[name]) for r in past_rows]
            observed = float(row[name])
            expected = _median(values)
            delta = observed - expected
            # The spread is at least the Poisson floor: most hours are settled without the MAD.
            if abs(delta) < config.min_delta or abs(delta) / _floor_spread(expected) < config.threshold:
                continue
            expected, spread = _robust(values, expected)
            score = delta / spread
            if abs(score) < config.threshold or abs(delta) < config.min_delta:
                continue
            faulty = {
                cam: reasons
                for cam, reasons in faults.get(row["hour_start"], {}).items()
                if cam in feeds[metric] or not feeds[metric]
            }
            hourly_spikes.append(
                {
                    "metric": metric,
                    "scope_id": "",
                    "hour": row["hour_start"],
                    "observed": observed,
                    "expected": expected,
                    "score": score,
                    "direction": "up" if delta > 0 else "down",
                    "kind": SpikeAlert.Kind.DATA_FAULT if faulty else SpikeAlert.Kind.TRAFFIC,
                    "reasons": sorted({r for reasons in faulty.values() for r in reasons}),
                    "cameras": sorted(faulty),
                }
            )
    for row in period.get(("store", ""), []):
        drop = _conversion_drop(row, past("store", "", row), config)
        if drop is None:
            continue
        faulty = {cam: reasons for cam, reasons in faults.get(row["hour_start"], {}).items()
                  if cam in feeds["footfall"] or not feeds["footfall"]}
        hourly_spikes.append({
            "metric": "conversion", "scope_id": "", "hour": row["hour_start"], **drop, "direction": "down",
            # Footfall from a faulty door camera cannot show that conversion fell: a data fault, not a finding.
            "kind": SpikeAlert.Kind.DATA_FAULT if faulty else SpikeAlert.Kind.CONVERSION,
            "reasons": sorted({r for reasons in faulty.values() for r in reasons}) or ["footfall_held"],
            "cameras": sorted(faulty),
        })
    for camera, row, reason, observed, expected in fault_rows:
        hourly_spikes.append(
            {
                "metric": f"camera_{reason}",
                "scope_id": camera,
                "hour": row["hour_start"],
                "observed": observed,
                "expected": expected,
                "score": 0.0,
                "direction": "up" if observed > expected else "down",
                "kind": SpikeAlert.Kind.DATA_FAULT,
                "reasons": [reason],
                "cameras": [camera],
            }
        )

    faulty_hours = sum(len(cams) for cams in faults.values())
    report = SpikeReport(camera_hours=camera_hours, faulty_camera_hours=faulty_hours)
    report.coverage = round(1.0 - faulty_hours / camera_hours, 4) if camera_hours else (1.0 if period else 0.0)
    report.spikes = _merge(store, hourly_spikes, period.get(("store", ""), []))
    return report


def _conversion_drop(row: dict, past_rows: list[dict], config: SpikeSettings) -> dict | None:
    """A conversion drop while footfall holds (staffing, stock-outs): observed vs expected transactions.

    The usual conversion is the median over the slot's past hours that have POS data; hours without POS
    data (conversion None) are never evidence either way."""
    if row.get("conversion_rate") is None or row["footfall_in"] < config.min_conversion_footfall:
        return None
    usual = [r for r in past_rows if r.get("conversion_rate") is not None
             and r["footfall_in"] >= config.min_conversion_footfall]
    if len(usual) < config.min_history:
        return None
    rate = _median([r["conversion_rate"] for r in usual])
    footfall = _median([float(r["footfall_in"]) for r in usual])
    if rate <= 0 or row["footfall_in"] < config.footfall_hold * footfall:
        return None  # footfall fell too: the footfall spike tells that story
    expected = rate * row["footfall_in"]
    observed = float(row["transactions"])
    spread = math.sqrt(max(expected * (1.0 - min(rate, 0.99)), 1.0))
    score = (observed - expected) / spread
    if score > -config.threshold or row["conversion_rate"] > (1.0 - config.conversion_drop) * rate:
        return None
    return {"observed": observed, "expected": expected, "score": score}


def _merge(store: Store, hourly: list[dict], store_rows: list[dict]) -> list[dict]:
    """Consecutive hours with the same metric, scope, kind and direction become one spike."""
    hour_ends = {}
    ordered_hours = [r["hour_start"] for r in store_rows]
    for i, hour in enumerate(ordered_hours):
        hour_ends[hour] = ordered_hours[i + 1] if i + 1 < len(ordered_hours) else hour + dt.timedelta(hours=1)
    merged: list[dict] = []
    open_runs: dict[tuple, dict] = {}
    for item in sorted(hourly, key=lambda s: (s["metric"], s["scope_id"], s["hour"])):
        key = (item["metric"], item["scope_id"], item["kind"], item["direction"])
        end = hour_ends.get(item["hour"], item["hour"] + dt.timedelta(hours=1))
        run = open_runs.get(key)
        if run is not None and run["_end"] == item["hour"]:
            run["_end"] = end
            run["observed"] += item["observed"]
            run["expected"] += item["expected"]
            run["score"] = max(run["score"], item["score"], key=abs)
            run["reasons"] = sorted(set(run["reasons"]) | set(item["reasons"]))
            run["cameras"] = sorted(set(run["cameras"]) | set(item["cameras"]))
            run["hours"] += 1
            continue
        run = {**item, "_start": item["hour"], "_end": end, "hours": 1}
        open_runs[key] = run
        merged.append(run)
    result = []
    for run in sorted(merged, key=lambda r: (r["_start"], r["metric"])):
        result.append(
            {
                "store_id": store.store_id,
                "start": run["_start"],
                "end": run["_end"],
                "metric": run["metric"],
                "scope_id": run["scope_id"],
                "observed": round(run["observed"], 2),
                "expected": round(run["expected"], 2),
                "score": round(run["score"], 2),
                "direction": run["direction"],
                "kind": str(run["kind"]),
                "hours": run["hours"],
                "reasons": run["reasons"],
                "cameras": run["cameras"],
            }
        )
    return result


def spikes_store(store: Store, report: SpikeReport) -> int:
    """Persist a report's spikes as SpikeAlert rows (upsert on store, metric, scope, start)."""
    alerts = [
        SpikeAlert(
            store=store,
            start=s["start"],
            end=s["end"],
            metric=s["metric"],
            scope_id=s["scope_id"],
            observed=s["observed"],
            expected=s["expected"],
            score=s["score"],
            direction=s["direction"],
            kind=s["kind"],
            coverage=report.coverage,
            detail={"reasons": s["reasons"], "cameras": s["cameras"], "hours": s["hours"]},
        )
        for s in report.spikes
    ]
    known = set(
        SpikeAlert.objects.filter(store=store, start__in=[a.start for a in alerts]).values_list(
            "metric", "scope_id", "start"
        )
    )
    SpikeAlert.objects.bulk_create(
        alerts,
        update_conflicts=True,
        unique_fields=["store", "metric", "scope_id", "start"],
        update_fields=["end", "observed", "expected", "score", "direction", "kind", "coverage", "detail"],
    )
    fresh = [a for a in alerts if (a.metric, a.scope_id, a.start) not in known]
    if fresh:
        spikes_notify(store, fresh)
    return len(alerts)


def spikes_notify(store: Store, alerts: list[SpikeAlert]) -> None:
    """Tell the store's alert channels about spikes seen for the first time (re-runs stay quiet)."""
    lines = []
    for alert in alerts:
        what = {SpikeAlert.Kind.DATA_FAULT: "Data fault",
                SpikeAlert.Kind.CONVERSION: "Conversion drop while footfall held (staffing? stock-out?)"}.get(
            alert.kind, "Traffic spike")
        local_start = alert.start.astimezone(store.tzinfo)
        lines.append(
            f"{what}: {alert.metric}{' ' + alert.scope_id if alert.scope_id else ''} {alert.direction} "
            f"at {local_start:%Y-%m-%d %H:%M} — observed {alert.observed:g}, expected {alert.expected:g}"
        )
    subject = f"[WINK] {len(alerts)} new spike alert(s) for {store.name}"
    alerts_notify(store, subject, "\n".join(lines))
