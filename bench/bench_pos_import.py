"""Importing 1,000,000 POS transactions (one year of a busy store) with `manage.py import_pos`, against a plain
COPY of the same rows into a bare table, in the same run.

Ours: the whole command on a CSV file: streaming parse, per-row validation (ids, ISO timestamps and their
bounds, Decimal amounts, ISO 4217 currency, one currency per store), COPY into a staging table, conflict checks
(in-file and against stored rows), INSERT … ON CONFLICT DO NOTHING into the indexed table, and the stale marks
of every touched store-local hour. Then the same file again: nothing stored twice.
Baseline: `COPY bare FROM STDIN (FORMAT csv, HEADER)` of the same file into a table without any index or check.
Target: ours under 60 s on the 2-core host.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/bench_pos_import.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch_db import django_on, scratch_database_create, scratch_database_url

BENCH_DB = "wink_bench_pos"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} CPUs)"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A year of one store: opening hours 09:00–21:00 local (Asia/Kolkata), ~3% refunds, 2 decimals."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 3, 30, tzinfo=dt.UTC)  # 09:00 in Kolkata
    step = 365 * 12 * 3600 / rows  # seconds of opening time per transaction
    with path.open("w", buffering=1 << 20) as out:
        out.write("transaction_id,ts,amount,currency,items\n")
        for i in range(rows):
            opened = i * step
            day, second = divmod(opened, 12 * 3600)
            ts = start + dt.timedelta(days=int(day), seconds=second)
            amount = rng.randint(100, 500000) / 100
            if rng.random() < 0.03:
                amount = -amount
            out.write(f"TX{i:08d},{ts:%Y-%m-%dT%H:%M:%S}Z,{amount:.2f},INR,{rng.randint(1, 12)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    url = scratch_database_url(BENCH_DB, "bench_pos_import")
    scratch_database_create(url)
    django_on(url)
    from django.core.management import call_command
    from django.db import connection

    from cameras.models import Organization, Store
    from events.models import StaleHour
    from pos.models import PosTransaction

    org = Organization.objects.create(name="Bench", slug="bench")
    store = Store.objects.create(organization=org, store_id="bench_pos", name="Bench", timezone="Asia/Kolkata")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pos.csv"
        began = time.perf_counter()
        write_csv(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - began:.1f} s; CPU: {_cpu()}")

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bare (transaction_id text, ts timestamptz, amount numeric(15,3), "
                           "currency text, items integer)")
        began = time.perf_counter()
        with connection.cursor() as cursor, path.open("rb") as source, \
                cursor.cursor.copy("COPY bare FROM STDIN (FORMAT csv, HEADER)") as copy:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        baseline = time.perf_counter() - began

        out = io.StringIO()
        began = time.perf_counter()
        call_command("import_pos", str(path), "--store", "bench_pos", "--no-progress", stdout=out,
                     stderr=io.StringIO())
        ours = time.perf_counter() - began
        stored = PosTransaction.objects.filter(store=store).count()
        hours = StaleHour.objects.filter(store=store).count()

        again_out = io.StringIO()
        began = time.perf_counter()
        call_command("import_pos", str(path), "--store", "bench_pos", "--no-progress", stdout=again_out,
                     stderr=io.StringIO())
        again = time.perf_counter() - began
        stored_after = PosTransaction.objects.filter(store=store).count()

    print(f"plain COPY into a bare table : {baseline:6.1f} s  ({args.rows / baseline:,.0f} rows/s)")
    print(f"import_pos (first import)     : {ours:6.1f} s  ({args.rows / ours:,.0f} rows/s)  "
          f"ratio {ours / baseline:.1f}x; {stored:,} stored, {hours:,} hours marked stale")
    print(f"import_pos (same file again)  : {again:6.1f} s  ratio {again / baseline:.1f}x; "
          f"rows stored after: {stored_after:,} (no duplicates: {stored_after == stored})")
    print(out.getvalue().strip())
    print(again_out.getvalue().strip())
    target = "PASS" if ours < 60 and stored_after == stored == args.rows else "FAIL"
    print(f"target (1M rows < 60 s, no duplicate on re-import): {target}")


if __name__ == "__main__":
    main()
