"""Point-of-sale writes: API batches, hourly totals, CSV preview/import (also `manage.py import_pos`).

One rule set for every way in (docs/POS.md):
- A row is validated on its own; a rejected row writes nothing, the good rows of the same batch/file are written.
  Each rejection names the row (`index` in a batch, `line` in a CSV file) and the field.
- `transaction_id` is unique per store. The same content again is a duplicate (counted, not an error); the same id
  with different content is a conflict (HTTP 409 naming the id) and never overwrites the stored row.
- Timestamps: ISO 8601, no offset = UTC (a CSV mapping may say naive times are store-local); accepted range
  2000-01-01Z .. now + 5 min (events.timebounds, the same rule as camera events).
- One currency per store (ISO 4217): the first accepted row sets it, another currency is refused.
- Refunds are negative amounts: they reduce revenue and do not count as transactions (pos.selectors).
- Every store-local hour that gains rows is marked stale (events.services.hours_mark_stale), so the aggregation
  drain recomputes conversion once per touched hour, not once per row.

Large files go through PostgreSQL COPY into a temporary staging table, then one INSERT … ON CONFLICT DO NOTHING
(`transactions_import`); API batches (≤ 1000 rows) use the ORM path, which is also the fallback on SQLite.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cameras.localtime import local_hour_start
from cameras.models import Store
from events import timebounds
from events.services import hours_mark_stale
from pos.currencies import ISO_4217
from pos.models import PosHourlyTotal, PosSource, PosStoreSettings, PosTransaction

UTC = dt.UTC
MAX_BATCH_ROWS = 1000
MAX_ID_LENGTH = 100
MAX_ITEMS = 1_000_000
MAX_ABS_AMOUNT = Decimal("999999999999")  # 12 integer digits (DecimalField(15, 3))
MAX_REJECTIONS_LISTED = 1000  # a file with a million bad rows answers with the first thousand and a count
CSV_FIELDS = ("transaction_id", "ts", "amount", "currency", "items", "store_id")
CSV_REQUIRED = ("transaction_id", "ts", "amount")
# Header names recognised without a mapping (lower-case, spaces/dashes as underscores).
CSV_SYNONYMS = {
    "transaction_id": ("transaction_id", "transaction", "txn_id", "receipt_id", "receipt", "receipt_no", "id"),
    "ts": ("ts", "timestamp", "datetime", "date_time", "time", "created_at"),
    "amount": ("amount", "total", "value", "net_amount", "sale_amount"),
    "currency": ("currency", "currency_code", "ccy"),
    "items": ("items", "item_count", "qty", "quantity", "units"),
    "store_id": ("store_id", "store"),
}
NAIVE_CHOICES = ("utc", "local")


class PosRowError(ValueError):
    def __init__(self, field_name: str, message: str, code: str = "invalid"):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message
        self.code = code


class PosInputError(ValueError):
    """The request or file as a whole is unusable (bad mapping, a missing column): HTTP 400 naming the field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass
class PosResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_count: int = 0
    conflicts: list[str] = field(default_factory=list)
    touched_hours: int = 0
    rows: int = 0

    def reject(self, where: dict[str, Any], error: PosRowError) -> None:
        self.rejected_count += 1
        if error.code == "conflict" and len(self.conflicts) < MAX_REJECTIONS_LISTED:
            self.conflicts.append(str(where.get("transaction_id")))
        if len(self.rejected) < MAX_REJECTIONS_LISTED:
            self.rejected.append({**where, "field": error.field, "code": error.code, "error": error.message})

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected_count": self.rejected_count, "rejected": self.rejected, "conflicts": self.conflicts,
                "touched_hours": self.touched_hours}


# ----------------------------------------------------------------------------------------- validation


def _text(value: Any, name: str, limit: int = MAX_ID_LENGTH) -> str:
    if isinstance(value, bool) or value is None:
        raise PosRowError(name, "required" if value is None else "expected text")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise PosRowError(name, "expected text")
    value = value.strip()
    if not value:
        raise PosRowError(name, "required")
    if len(value) > limit:
        raise PosRowError(name, f"at most {limit} characters")
    if not value.isprintable():
        raise PosRowError(name, "control characters are not allowed")
    return value


def parse_amount(value: Any, name: str = "amount") -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise PosRowError(name, "required" if value in (None, "") else "expected a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PosRowError(name, "expected a finite number")
        value = repr(value)
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or len(value) > 32:
        raise PosRowError(name, "expected a number")
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise PosRowError(name, f"not a number: {value[:32]!r}") from None
    if not amount.is_finite():
        raise PosRowError(name, f"not a number: {value[:32]!r}")
    if abs(amount) > MAX_ABS_AMOUNT:
        raise PosRowError(name, f"larger than {MAX_ABS_AMOUNT} in absolute value")
    if amount.as_tuple().exponent < -3:
        raise PosRowError(name, "at most 3 decimal places")
    return amount.quantize(Decimal("0.001"))


def parse_currency(value: Any, name: str = "currency") -> str:
    code = _text(value, name, 12).upper()
    if code not in ISO_4217:
        raise PosRowError(name, f"unknown currency {code!r} (an ISO 4217 code such as EUR, INR, USD)")
    return code


def parse_count(value: Any, name: str, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise PosRowError(name, "required")
        return None
    if isinstance(value, list):  # `items` may be the list of line items: its length is the count
        value = len(value)
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise PosRowError(name, f"expected a whole number ≥ 0, got {value[:20]!r}")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PosRowError(name, "expected a whole number ≥ 0")
    if value > MAX_ITEMS:
        raise PosRowError(name, f"at most {MAX_ITEMS}")
    return value


def parse_ts(value: Any, *, now: dt.datetime, tz: dt.tzinfo | None = None, name: str = "ts") -> dt.datetime:
    """ISO 8601 → UTC; a naive value is UTC, or local time of `tz` when given (CSV option)."""
    if isinstance(value, str) and tz is not None and len(value) <= 64:
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            value = parsed.replace(tzinfo=tz).astimezone(UTC).isoformat()
    try:
        instant = timebounds.parse_instant(value.strip() if isinstance(value, str) else value, name)
        return timebounds.check_instant(instant, name, now)
    except timebounds.TimeBoundError as error:
        raise PosRowError(error.field, error.message, error.code) from None


def transaction_normalize(raw: Any, *, now: dt.datetime, tz: dt.tzinfo | None = None,
                          default_currency: str = "") -> dict[str, Any]:
    """One transaction (API object or mapped CSV row) → clean values; raises PosRowError naming the field."""
    if not isinstance(raw, dict):
        raise PosRowError("row", "expected an object")
    currency = raw.get("currency")
    if currency in (None, "") and default_currency:
        currency = default_currency
    return {
        "transaction_id": _text(raw.get("transaction_id"), "transaction_id"),
        "ts": parse_ts(raw.get("ts"), now=now, tz=tz),
        "amount": parse_amount(raw.get("amount")),
        "currency": parse_currency(currency),
        "items": parse_count(raw.get("items"), "items", required=False),
    }


class _FastRows:
    """The common case of a big file without the per-field helpers (4× fewer Python calls a row): returns None
    whenever a value is anything but plainly valid, and the caller then runs transaction_normalize, which
    accepts or rejects it naming the field. Same rules, so both paths store the same values."""

    def __init__(self, now: dt.datetime, tz: dt.tzinfo | None, fill: str):
        self.latest = now + dt.timedelta(seconds=timebounds.max_future_seconds())
        self.tz, self.fill = tz, fill

    def row(self, tid: str, ts: str, amount: str, currency: str, items: str) -> dict[str, Any] | None:
        try:
            if not (0 < len(tid) <= MAX_ID_LENGTH and tid.isprintable() and tid.strip() == tid):
                return None
            instant = dt.datetime.fromisoformat(ts)
            if instant.tzinfo is None:
                if self.tz is not None:
                    return None
                instant = instant.replace(tzinfo=UTC)
            if not timebounds.EARLIEST_INSTANT <= instant <= self.latest:
                return None
            value = Decimal(amount)
            if not value.is_finite() or value.as_tuple().exponent < -3 or abs(value) > MAX_ABS_AMOUNT:
                return None
            currency = currency or self.fill
            if currency not in ISO_4217:
                return None
            count = None
            if items:
                if not items.isdigit() or len(items) > 7 or int(items) > MAX_ITEMS:
                    return None
                count = int(items)
        except (ValueError, TypeError, ArithmeticError):
            return None
        return {"transaction_id": tid, "ts": instant.astimezone(UTC), "amount": value.quantize(_MILLI),
                "currency": currency, "items": count}


_MILLI = Decimal("0.001")


def _same(stored: tuple, row: dict[str, Any]) -> bool:
    return stored == (row["ts"], row["amount"], row["currency"], row["items"])


# ------------------------------------------------------------------------------------------- currency


def store_currency(store: Store) -> str:
    settings = PosStoreSettings.objects.filter(store=store).first()
    return settings.currency if settings else ""


def _store_currency_claim(store: Store, currency: str) -> str:
    """The store's currency, set to `currency` if it had none (a row lock keeps two first imports honest)."""
    settings, _ = PosStoreSettings.objects.select_for_update().get_or_create(store=store)
    if not settings.currency:
        settings.currency = currency
        settings.save(update_fields=["currency", "updated_at"])
    return settings.currency


def _currency_check(row: dict[str, Any], store: Store, expected: str) -> None:
    if row["currency"] != expected:
        raise PosRowError("currency", f"store {store.store_id!r} records {expected}; one currency per store "
                          f"(got {row['currency']})", code="currency_mismatch")


# ----------------------------------------------------------------------------------------- API batches


def _row_store(raw: Any, stores: dict[str, Store]) -> Store:
    """The store a batch row names, among those the caller may write to (PosRowError otherwise)."""
    if not isinstance(raw, dict):
        raise PosRowError("row", "expected an object")
    slug = _text(raw.get("store_id"), "store_id")
    store = stores.get(slug)
    if store is None:
        raise PosRowError("store_id", f"unknown store {slug!r}", code="unknown_store")
    return store


def transactions_record_batch(*, stores: dict[str, Store], rows: list, source: str = PosSource.API,
                              now: dt.datetime | None = None) -> PosResult:
    """A batch of API transactions (≤ MAX_BATCH_ROWS); `stores` maps the slugs the caller may write to stores.

    A store slug outside `stores` (unknown, or another organisation's) is reported as unknown: never confirm that
    another tenant's store exists."""
    now = now or timezone.now()
    result = PosResult(rows=len(rows))
    by_store: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    store_of: dict[int, Store] = {}
    for index, raw in enumerate(rows):
        where = {"index": index, "transaction_id": raw.get("transaction_id") if isinstance(raw, dict) else None}
        try:
            store = _row_store(raw, stores)
            row = transaction_normalize(raw, now=now)
        except PosRowError as error:
            result.reject(where, error)
            continue
        store_of[store.pk] = store
        by_store.setdefault(store.pk, []).append((index, row))
    with transaction.atomic():
        for store_pk, indexed in by_store.items():
            _store_rows_write(store_of[store_pk], indexed, source, result)
    result.rejected.sort(key=lambda item: item.get("index", 0))
    return result


def _store_rows_write(store: Store, indexed: list[tuple[int, dict[str, Any]]], source: str, result: PosResult,
                      key: str = "index") -> None:
    """Write one store's validated rows through the ORM: duplicates and conflicts found first, then inserted."""
    currency = _store_currency_claim(store, indexed[0][1]["currency"])
    fresh: dict[str, tuple[int, dict[str, Any]]] = {}
    ids = {row["transaction_id"] for _, row in indexed}
    stored = {
        tid: (ts, amount, cur, items)
        for tid, ts, amount, cur, items in PosTransaction.objects.filter(store=store, transaction_id__in=ids)
        .values_list("transaction_id", "ts", "amount", "currency", "items")
    }
    for position, row in indexed:
        where = {key: position, "transaction_id": row["transaction_id"]}
        try:
            _currency_check(row, store, currency)
            tid = row["transaction_id"]
            previous = stored.get(tid)
            if previous is None and tid in fresh:
                previous = _as_stored(fresh[tid][1])
            if previous is not None:
                if not _same(previous, row):
                    raise PosRowError("transaction_id", f"{tid!r} was already recorded with different content "
                                      "(ts, amount, currency or items)", code="conflict")
                result.duplicates += 1
                continue
            fresh[tid] = (position, row)
        except PosRowError as error:
            result.reject(where, error)
    if not fresh:
        return
    objects = [PosTransaction(store=store, source=source, **row) for _, row in fresh.values()]
    PosTransaction.objects.bulk_create(objects, ignore_conflicts=True, batch_size=1000)
    # ignore_conflicts: a concurrent request may have stored one of these ids first. Same content: ours is as
    # good as stored. Different content: a conflict like any other, reported and not counted.
    stored_now = PosTransaction.objects.filter(store=store, transaction_id__in=list(fresh)).values_list(
        "transaction_id", "ts", "amount", "currency", "items")
    for tid, *content in stored_now:
        position, row = fresh[tid]
        if not _same(tuple(content), row):
            del fresh[tid]
            result.reject({key: position, "transaction_id": tid}, PosRowError(
                "transaction_id", f"{tid!r} was already recorded with different content (ts, amount, currency or "
                "items)", code="conflict"))
    result.accepted += len(fresh)
    if not fresh:
        return
    hours_mark_stale(store, [row["ts"] for _, row in fresh.values()])
    result.touched_hours += len({local_hour_start(store, row["ts"]) for _, row in fresh.values()})


def _as_stored(row: dict[str, Any]) -> tuple:
    return (row["ts"], row["amount"], row["currency"], row["items"])


# ----------------------------------------------------------------------------------------- hourly totals


def hourly_totals_record(*, stores: dict[str, Store], rows: list, now: dt.datetime | None = None) -> PosResult:
    """Hourly totals `{"store_id", "hour", "transactions", "revenue"[, "currency"]}` from tills that export only
    those. `hour` must be the start of a store-local hour; re-sending an hour replaces its totals (a till's
    export of the day is corrected by re-exporting it)."""
    now = now or timezone.now()
    result = PosResult(rows=len(rows))
    clean: list[tuple[Store, int, dict[str, Any]]] = []
    for index, raw in enumerate(rows):
        where = {"index": index}
        try:
            store = _row_store(raw, stores)
            hour = parse_ts(raw.get("hour"), now=now, name="hour")  # an hour that has begun (± clock drift)
            start = local_hour_start(store, hour)
            if start != hour:
                local = start.astimezone(store.tzinfo)
                raise PosRowError("hour", f"not the start of a store-local hour (that hour starts at "
                                  f"{start:%Y-%m-%dT%H:%M}Z, {local:%H:%M} in {store.timezone})")
            row = {
                "hour_start": hour,
                "transactions": parse_count(raw.get("transactions"), "transactions", required=True),
                "revenue": parse_amount(raw.get("revenue"), "revenue"),
                "currency": raw.get("currency"),
            }
            if row["currency"] not in (None, ""):
                row["currency"] = parse_currency(row["currency"])
        except PosRowError as error:
            result.reject(where, error)
            continue
        clean.append((store, index, row))
    with transaction.atomic():
        for store, index, row in clean:
            try:
                currency = row["currency"] or store_currency(store)
                if not currency:
                    raise PosRowError("currency", f"store {store.store_id!r} has no currency yet: send one")
                row["currency"] = currency
                _currency_check(row, store, _store_currency_claim(store, currency))
            except PosRowError as error:
                result.reject({"index": index}, error)
                continue
            PosHourlyTotal.objects.update_or_create(
                store=store, hour_start=row["hour_start"],
                defaults={"transactions": row["transactions"], "revenue": row["revenue"], "currency": currency},
            )
            result.accepted += 1
            hours_mark_stale(store, [row["hour_start"]])
            result.touched_hours += 1
    result.rejected.sort(key=lambda item: item.get("index", 0))
    return result


# ----------------------------------------------------------------------------------------- CSV files


@dataclass
class CsvOptions:
    mapping: dict[str, str]
    naive: str = "utc"  # naive timestamps are UTC or store-local ("local")
    currency: str = ""  # for rows without a currency column/value
    columns: list[str] = field(default_factory=list)  # the file's header (not remembered)

    def as_dict(self) -> dict[str, Any]:
        return {"mapping": self.mapping, "naive_timestamps": self.naive, "currency": self.currency}


def _normal_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def csv_mapping_guess(header: list[str]) -> dict[str, str]:
    normal = {_normal_header(name): name for name in header}
    mapping: dict[str, str] = {}
    for target, names in CSV_SYNONYMS.items():
        for name in names:
            if name in normal:
                mapping[target] = normal[name]
                break
    return mapping


def csv_options_resolve(store: Store, header: list[str], given: dict[str, Any] | None) -> CsvOptions:
    """The options of one upload: what the caller gave, else what the store used last time, else a guess from
    the header. Every mapped column must exist (the error names the header row and the field)."""
    remembered = (PosStoreSettings.objects.filter(store=store).values_list("csv_mapping", flat=True).first()) or {}
    given = given or {}
    if not isinstance(given, dict):
        raise PosInputError("mapping", "expected a JSON object")
    mapping = given.get("mapping")
    if mapping is None:
        mapping = remembered.get("mapping") or {}
        # A remembered mapping that no longer fits this file's header falls back to the guess.
        if any(column not in header for column in mapping.values()):
            mapping = {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise PosInputError("mapping", "expected an object of field → column name")
    # The caller maps what the guess gets wrong; an empty column name unmaps a field.
    mapping = {**csv_mapping_guess(header), **mapping}
    unknown = sorted(set(mapping) - set(CSV_FIELDS))
    if unknown:
        raise PosInputError("mapping", f"unknown field(s) {unknown}; fields: {list(CSV_FIELDS)}")
    mapping = {k: v for k, v in mapping.items() if v}
    for name in CSV_REQUIRED:
        if name not in mapping:
            raise PosInputError("mapping", f"row 1 (header): no column for {name!r} (columns: {header[:20]})")
    for name, column in mapping.items():
        if column not in header:
            raise PosInputError("file", f"row 1 (header): missing column {column!r} (mapped to {name!r})")
    naive = given.get("naive_timestamps", remembered.get("naive_timestamps", "utc")) or "utc"
    if naive not in NAIVE_CHOICES:
        raise PosInputError("naive_timestamps", f"one of {list(NAIVE_CHOICES)}")
    currency = given.get("currency", remembered.get("currency", "")) or ""
    if currency:
        try:
            currency = parse_currency(currency)
        except PosRowError as error:
            raise PosInputError("currency", error.message) from None
    return CsvOptions(mapping=mapping, naive=naive, currency=currency, columns=header)


def csv_open(stream) -> tuple[Iterator[list[str]], list[str]]:
    """A text or binary file → (row reader positioned after the header, header). UTF-8, a BOM allowed."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") if not isinstance(stream, io.TextIOBase) \
        else stream
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise PosInputError("file", "empty file (expected a header row)") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise PosInputError("file", f"row 1: not a UTF-8 CSV file ({str(error)[:100]})") from None
    header = [name.strip() for name in header]
    if not any(header):
        raise PosInputError("file", "row 1 (header): no column names")
    return reader, header


def _csv_rows(reader, header: list[str], options: CsvOptions, store: Store, now: dt.datetime,
              result: PosResult, fill: str, expected: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Validated rows (line number, clean values); rejected rows go to `result` (line = file line, header = 1)."""
    columns = {name: header.index(column) for name, column in options.mapping.items()}
    width = max(columns.values()) + 1
    tz = store.tzinfo if options.naive == "local" else None
    store_column = columns.get("store_id")
    fast = _FastRows(now, tz, fill)
    i_tid, i_ts, i_amount = columns["transaction_id"], columns["ts"], columns["amount"]
    i_currency, i_items = columns.get("currency"), columns.get("items")
    line = 1
    try:
        for cells in reader:
            line += 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            result.rows += 1
            tid = cells[columns["transaction_id"]].strip() if len(cells) > columns["transaction_id"] else None
            try:
                if len(cells) < width:
                    missing = [name for name, index in columns.items() if index >= len(cells)]
                    raise PosRowError(missing[0], f"missing (the row has {len(cells)} of {len(header)} columns)")
                if store_column is not None and cells[store_column].strip() not in ("", store.store_id):
                    raise PosRowError("store_id", f"row is for store {cells[store_column].strip()[:100]!r}, not "
                                      f"{store.store_id!r}", code="unknown_store")
                row = fast.row(cells[i_tid], cells[i_ts], cells[i_amount],
                               cells[i_currency] if i_currency is not None else "",
                               cells[i_items] if i_items is not None else "")
                if row is None:  # the careful path: accepts what the fast one doubted, or names the field
                    raw = {name: cells[index] for name, index in columns.items()}
                    row = transaction_normalize(raw, now=now, tz=tz, default_currency=fill)
                if expected:
                    _currency_check(row, store, expected)
            except PosRowError as error:
                result.reject({"line": line, "transaction_id": tid}, error)
                continue
            yield line, row
    except (UnicodeDecodeError, csv.Error) as error:
        raise PosInputError("file", f"row {line + 1}: unreadable ({str(error)[:100]})") from None


def transactions_import(store: Store, stream, *, options: dict[str, Any] | None = None,
                        source: str = PosSource.CSV, dry_run: bool = False, remember: bool = True,
                        progress: Callable[[int], None] | None = None, now: dt.datetime | None = None,
                        preview_rows: int = 0) -> tuple[PosResult, CsvOptions, list[dict[str, Any]]]:
    """Import a CSV file of one store (streamed; any size). Returns (result, options used, first clean rows).

    `dry_run` runs everything, conflicts with stored rows included, and rolls back: the preview. Otherwise the
    options are remembered for the store (`remember`). `progress(n)` is called with rows read so far."""
    now = now or timezone.now()
    reader, header = csv_open(stream)
    resolved = csv_options_resolve(store, header, options)
    result = PosResult()
    sample: list[dict[str, Any]] = []
    with transaction.atomic():
        currency = store_currency(store)
        fill = resolved.currency or currency  # for rows without a currency value
        if not currency and fill:
            currency = _store_currency_claim(store, fill)
        rows = _csv_rows(reader, header, resolved, store, now, result, fill, currency)
        if not currency:  # a store's first file: its first good row names the currency
            first = next(rows, None)
            if first is not None:
                currency = _store_currency_claim(store, first[1]["currency"])
                rows = _chain_first(first, rows, store, currency, result)
        rows = _sampled(rows, sample, preview_rows)
        if progress is not None:
            rows = _progressed(rows, result, progress)
        if connection.vendor == "postgresql":
            _copy_import(store, rows, source, result)
        else:
            _orm_import(store, rows, source, result)
        if dry_run:
            transaction.set_rollback(True)
        elif remember:
            settings, _ = PosStoreSettings.objects.get_or_create(store=store)
            settings.csv_mapping = resolved.as_dict()
            settings.save(update_fields=["csv_mapping", "updated_at"])
    result.rejected.sort(key=lambda item: item.get("line", 0))
    if progress is not None:
        progress(result.rows)
    return result, resolved, sample


def _chain_first(first, rows, store: Store, currency: str, result: PosResult):
    yield first
    for line, row in rows:
        try:
            _currency_check(row, store, currency)
        except PosRowError as error:
            result.reject({"line": line, "transaction_id": row["transaction_id"]}, error)
            continue
        yield line, row


def _sampled(rows, sample: list, limit: int):
    for line, row in rows:
        if len(sample) < limit:
            sample.append({"line": line, **row})
        yield line, row


def _progressed(rows, result: PosResult, progress: Callable[[int], None], every: int = 20000):
    mark = every
    for item in rows:
        if result.rows >= mark:
            progress(result.rows)
            mark = result.rows + every
        yield item


def _orm_import(store: Store, rows: Iterable[tuple[int, dict[str, Any]]], source: str, result: PosResult) -> None:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= 5000:
            _store_rows_write(store, chunk, source, result, key="line")
            chunk = []
    if chunk:
        _store_rows_write(store, chunk, source, result, key="line")


_STAGE = "pos_stage"


def _copy_import(store: Store, rows: Iterable[tuple[int, dict[str, Any]]], source: str, result: PosResult) -> None:
    """COPY the clean rows into a temporary table, drop conflicting ones (reported), insert the rest once."""
    from psycopg.copy import QueuedLibpqWriter
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {_STAGE} (line integer, transaction_id text, ts timestamptz, amount numeric(15,3),"
            " currency text, items integer) ON COMMIT DROP"
        )
        raw = cursor.cursor  # the psycopg cursor: COPY streams rows without building a statement per row
        staged = 0
        # The queued writer sends from a thread: the server parses one chunk while Python validates the next.
        with raw.copy(f"COPY {_STAGE} (line, transaction_id, ts, amount, currency, items) FROM STDIN",
                      writer=QueuedLibpqWriter(raw)) as copy:
            for line, row in rows:
                copy.write_row((line, row["transaction_id"], row["ts"], row["amount"], row["currency"],
                                row["items"]))
                staged += 1
        if not staged:
            return
        # Same id twice in the file with different content: the later rows are conflicts.
        cursor.execute(f"""
            WITH repeated AS (SELECT transaction_id FROM {_STAGE} GROUP BY 1 HAVING count(*) > 1),
            firsts AS (SELECT DISTINCT ON (s.transaction_id) s.* FROM {_STAGE} s JOIN repeated USING (transaction_id)
                       ORDER BY s.transaction_id, s.line)
            SELECT s.line, s.transaction_id FROM {_STAGE} s JOIN firsts f USING (transaction_id)
            WHERE s.line <> f.line
              AND (s.ts, s.amount, s.currency, s.items) IS DISTINCT FROM (f.ts, f.amount, f.currency, f.items)
        """)
        clashes = cursor.fetchall()
        # Ids already stored with different content.
        cursor.execute(f"""
            SELECT s.line, s.transaction_id FROM {_STAGE} s
            JOIN pos_transactions t ON t.store_id = %s AND t.transaction_id = s.transaction_id
            WHERE (s.ts, s.amount, s.currency, s.items) IS DISTINCT FROM (t.ts, t.amount, t.currency, t.items)
        """, [store.pk])
        clashes += cursor.fetchall()
        if clashes:
            for line, tid in sorted(set(clashes)):
                result.reject({"line": line, "transaction_id": tid}, PosRowError(
                    "transaction_id", f"{tid!r} was already recorded with different content "
                    "(ts, amount, currency or items)", code="conflict"))
            cursor.execute(f"DELETE FROM {_STAGE} WHERE line = ANY(%s)", [sorted({line for line, _ in clashes})])
            staged -= cursor.rowcount
        # Quarter hours of the inserted rows: every zone offset is a multiple of 15 min, so they map onto
        # store-local hours exactly (cameras.localtime); a year of a busy store is ~35k quarters.
        cursor.execute(f"""
            WITH inserted AS (
                INSERT INTO pos_transactions (store_id, transaction_id, ts, amount, currency, items, source)
                SELECT %s, transaction_id, ts, amount, currency, items, %s FROM {_STAGE}
                ON CONFLICT (store_id, transaction_id) DO NOTHING
                RETURNING ts
            )
            SELECT floor(date_part('epoch', ts) / 900)::bigint AS q, count(*) FROM inserted GROUP BY 1
        """, [store.pk, source])
        quarters = cursor.fetchall()
        cursor.execute(f"DROP TABLE {_STAGE}")
    inserted = sum(n for _, n in quarters)
    result.accepted += inserted
    result.duplicates += staged - inserted
    instants = [dt.datetime.fromtimestamp(q * 900, tz=UTC) for q, _ in quarters]
    if instants:
        hours_mark_stale(store, instants)
        memo: dict = {}
        result.touched_hours += len({local_hour_start(store, instant, memo) for instant in instants})


def csv_mapping_save(store: Store, options: dict[str, Any]) -> dict[str, Any]:
    """Set the remembered CSV options of a store (the mapping page/API); checked like an upload's options."""
    if not isinstance(options, dict):
        raise PosInputError("mapping", "expected a JSON object")
    mapping = options.get("mapping") or {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise PosInputError("mapping", "expected an object of field → column name")
    header = [column for column in mapping.values() if column]
    resolved = csv_options_resolve(store, header, {**options, "mapping": mapping})
    settings, _ = PosStoreSettings.objects.get_or_create(store=store)
    settings.csv_mapping = resolved.as_dict()
    settings.save(update_fields=["csv_mapping", "updated_at"])
    return settings.csv_mapping
