"""Spike detection on generated seasonal traffic with injected anomalies and data faults.

Eight weeks of hourly metrics (America/New_York, across the March DST change) for two door cameras and
one zone camera; the last two weeks carry injected traffic anomalies (everything ×2.5 or ×0.3) and
injected faults (camera offline, no heartbeat, flat-lined counter, in/out far apart). Precision and
recall are measured for both and printed (`pytest -s`).
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from analytics.aggregation import hour_buckets
from analytics.models import HourlyMetric, SpikeAlert
from analytics.spikes import spikes_detect, spikes_store
from analytics.tests.analytics_factories import make_store
from cameras.localtime import local_day_bounds

pytestmark = pytest.mark.django_db

PROFILE = [0] * 8 + [10, 25, 40, 55, 70, 80, 75, 65, 60, 70, 80, 60, 35, 15] + [0, 0]  # per door, by local hour
DOORS = ("door_a", "door_b")
FIRST_DAY = dt.date(2025, 2, 3)
DAYS = 56
DETECT_FROM = 42


def _lam(day: dt.date, hour: int) -> float:
    return PROFILE[hour] * (1.4 if day.weekday() >= 5 else 1.0)


def _plan(rng: random.Random):
    """Non-overlapping (day, start hour, hours) slots in the detection weeks, daytime only."""
    slots = [(d, h) for d in range(DETECT_FROM, DAYS) for h in (10, 13, 16)]
    rng.shuffle(slots)
    anomalies, faults = [], []
    kinds = ["offline", "no_heartbeat", "flat_lined", "in_out_mismatch", "zone_offline"]
    for i, (day, hour) in enumerate(slots[:26]):
        length = 2 if i % 3 else 1
        if i < 12:
            anomalies.append({"day": day, "hour": hour, "hours": length, "factor": 2.5 if i % 2 else 0.3})
        else:
            kind = kinds[i % len(kinds)]
            camera = "cam_zone" if kind == "zone_offline" else DOORS[i % 2]
            faults.append(
                {
                    "day": day,
                    "hour": hour,
                    "hours": 3 if kind == "flat_lined" else length,
                    "kind": kind,
                    "camera": camera,
                }
            )
    return anomalies, faults


def _active(items, day_index, hour):
    return next((x for x in items if x["day"] == day_index and x["hour"] <= hour < x["hour"] + x["hours"]), None)


def _generate(store, seed=11):
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    anomalies, faults = _plan(rng)
    tz = store.tzinfo
    start, _ = local_day_bounds(tz, FIRST_DAY)
    _, end = local_day_bounds(tz, FIRST_DAY + dt.timedelta(days=DAYS - 1))
    rows = []
    for bucket in hour_buckets(tz, start, end):
        day_index = (bucket.local_date - FIRST_DAY).days
        hour = bucket.local_hour
        anomaly = _active(anomalies, day_index, hour)
        fault = _active(faults, day_index, hour)
        factor = anomaly["factor"] if anomaly else 1.0
        lam_in = _lam(bucket.local_date, hour) * factor
        lam_out = 0.5 * (lam_in + _lam(bucket.local_date, hour - 1) * factor) if hour else 0.0
        cams = {}
        for door in DOORS:
            cams[door] = {
                "footfall_in": int(np_rng.poisson(lam_in)),
                "footfall_out": int(np_rng.poisson(lam_out)),
                "camera_online": True,
            }
        cams["cam_zone"] = {"entries": int(np_rng.poisson(0.6 * 2 * lam_in)), "camera_online": True}
        if fault:
            cam = cams[fault["camera"]]
            if fault["kind"] in ("offline", "zone_offline"):
                cam.update({k: 0 for k in cam if k != "camera_online"})
            elif fault["kind"] == "no_heartbeat":
                cam.update({k: 0 for k in cam if k != "camera_online"}, camera_online=False)
            elif fault["kind"] == "flat_lined":
                cam.update(footfall_in=9, footfall_out=9)
            elif fault["kind"] == "in_out_mismatch":
                cam["footfall_out"] = int(cam["footfall_out"] * 0.05)
        common = {"store": store, "hour_start": bucket.start, "local_date": bucket.local_date, "local_hour": hour}
        for camera, numbers in cams.items():
            rows.append(HourlyMetric(scope="camera", scope_id=camera, **common, **numbers))
        rows.append(
            HourlyMetric(
                scope="store",
                scope_id="",
                **common,
                footfall_in=sum(cams[d]["footfall_in"] for d in DOORS),
                footfall_out=sum(cams[d]["footfall_out"] for d in DOORS),
                entries=cams["cam_zone"]["entries"],
            )
        )
    HourlyMetric.objects.bulk_create(rows, batch_size=2000)
    return anomalies, faults


def _hours(item, store):
    day = FIRST_DAY + dt.timedelta(days=item["day"])
    start, _ = local_day_bounds(store, day)
    buckets = hour_buckets(store.tzinfo, start, start + dt.timedelta(hours=30))
    return {
        b.start for b in buckets if b.local_date == day and item["hour"] <= b.local_hour < item["hour"] + item["hours"]
    }


def _spike_hours(spike):
    hours, t = set(), spike["start"]
    while t < spike["end"]:
        hours.add(t)
        t += dt.timedelta(hours=1)
    return hours


def _precision_recall(reported, injected, store, same_camera=False):
    injected_hours = [(_hours(item, store), item) for item in injected]

    def matches(spike, item_hours, item):
        return bool(_spike_hours(spike) & item_hours) and (not same_camera or item["camera"] in spike["cameras"])

    true_pos = [s for s in reported if any(matches(s, h, i) for h, i in injected_hours)]
    found = [i for h, i in injected_hours if any(matches(s, h, i) for s in reported)]
    precision = len(true_pos) / len(reported) if reported else 1.0
    recall = len(found) / len(injected) if injected else 1.0
    return precision, recall


@pytest.mark.parametrize("seed", [11, 6])
def test_injected_anomalies_and_faults_precision_recall(seed):
    store = make_store("store_spikes", tz="America/New_York")
    anomalies, faults = _generate(store, seed=seed)
    start, _ = local_day_bounds(store, FIRST_DAY + dt.timedelta(days=DETECT_FROM))
    _, end = local_day_bounds(store, FIRST_DAY + dt.timedelta(days=DAYS - 1))
    report = spikes_detect(store, start, end)

    traffic = [s for s in report.spikes if s["kind"] == "traffic"]
    camera_faults = [s for s in report.spikes if s["kind"] == "data_fault" and s["metric"].startswith("camera_")]
    t_precision, t_recall = _precision_recall(traffic, anomalies, store)
    f_precision, f_recall = _precision_recall(camera_faults, faults, store, same_camera=True)
    print(
        f"\ntraffic spikes: precision {t_precision:.2f} recall {t_recall:.2f} ({len(traffic)} reported, "
        f"{len(anomalies)} injected); data faults: precision {f_precision:.2f} recall {f_recall:.2f} "
        f"({len(camera_faults)} reported, {len(faults)} injected); coverage {report.coverage}"
    )
    assert t_precision >= 0.9 and t_recall >= 0.9
    assert f_precision >= 0.9 and f_recall >= 0.9

    fault_hours = set().union(*(_hours(f, store) for f in faults))
    assert not [s for s in traffic if _spike_hours(s) & fault_hours], "a data fault was reported as traffic"
    # Store-level deviations caused by a broken camera are reported, but as data faults.
    assert [s for s in report.spikes if s["kind"] == "data_fault" and s["metric"] == "footfall"]
    # Each reported traffic spike carries direction and size.
    for spike in traffic:
        assert spike["direction"] == ("up" if spike["observed"] > spike["expected"] else "down")
        assert abs(spike["score"]) >= 4.0
    faulty = sum(f["hours"] for f in faults)
    assert report.coverage == pytest.approx(1 - faulty / report.camera_hours, abs=0.01)
    assert 0.0 < report.coverage < 1.0

    assert spikes_store(store, report) == len(report.spikes)
    assert spikes_store(store, report) == len(report.spikes)  # idempotent upsert
    assert SpikeAlert.objects.filter(store=store).count() == len(report.spikes)


def test_clean_history_reports_nothing_and_full_coverage():
    store = make_store("store_quiet", tz="UTC")
    tz = store.tzinfo
    np_rng = np.random.default_rng(3)
    start, _ = local_day_bounds(tz, FIRST_DAY)
    rows = []
    for bucket in hour_buckets(tz, start, start + dt.timedelta(days=35)):
        lam = _lam(bucket.local_date, bucket.local_hour)
        common = {
            "store": store,
            "hour_start": bucket.start,
            "local_date": bucket.local_date,
            "local_hour": bucket.local_hour,
        }
        n_in = int(np_rng.poisson(lam))
        rows.append(
            HourlyMetric(
                scope="camera", scope_id="door_a", footfall_in=n_in, footfall_out=n_in, camera_online=True, **common
            )
        )
        rows.append(HourlyMetric(scope="store", footfall_in=n_in, footfall_out=n_in, **common))
    HourlyMetric.objects.bulk_create(rows)
    report = spikes_detect(store, start + dt.timedelta(days=28), start + dt.timedelta(days=35))
    assert report.spikes == []
    assert report.coverage == 1.0


def test_detect_spikes_command_stores_alerts_and_rejects_bad_input(capsys):
    from django.core.management import CommandError, call_command

    store = make_store("store_cmd", tz="UTC")
    call_command("detect_spikes", store="store_cmd", days=3)
    assert "store_cmd: 0 traffic spike(s)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--days"):
        call_command("detect_spikes", days=0)
    with pytest.raises(CommandError, match="--store"):
        call_command("detect_spikes", store="nope")
    assert not SpikeAlert.objects.filter(store=store).exists()
