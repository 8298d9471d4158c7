"""Move one store between WINK deployments: `manage.py export_store` / `manage.py import_store`.

The upgrade path from one deployment per store (the v1 guide) to one deployment for many stores: export each
store from its old deployment, import it into the shared one. Rows are matched by slugs, never by database ids,
so stores from different databases do not collide.

File: gzip-compressed JSON Lines. Line 1 is a header ({"format": "wink-store", "version": 1, "store": slug}),
then one line per row: {"model": "app.Model", "fields": {...}, "refs": {fk: slug}, "files": {field: base64}}.
Every model with a foreign key to the store (or to one of its cameras) is included, in dependency order:
configuration, edge keys (hashes only: edge boxes keep their keys), events, aggregates, spikes, insights, alert
channels, zone screenshots. Secrets (RTSP and webhook URLs) are written decrypted and re-encrypted with the target's
key on import: keep the file private, delete it after the import.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from cameras.models import Camera, Organization, Store

FORMAT, VERSION = "wink-store", 1
BATCH = 1000
# Rows that only make sense inside their original deployment.
SKIP_MODELS = {"alerts.AlertNotice"}
# Models that changed app since an export may have been written: the label in the file -> the label now.
MOVED_MODELS = {"workers.AlertChannel": "alerts.AlertChannel", "workers.AlertNotice": "alerts.AlertNotice"}
MOVED_MODELS.update({f"analytics.{name}": f"events.{name}" for name in (
    "EntranceEvent", "ZoneEvent", "ShelfEvent", "QueueEvent", "StaleHour")})
Progress = Callable[[str], None]


class TransferError(Exception):
    """The export or import cannot proceed; one-line reason."""


def _ref_kind(field: models.ForeignKey) -> str | None:
    target = field.related_model
    if target is Store:
        return "store"
    if target is Camera:
        return "camera"
    if target is Organization:
        return "organization"
    return None


def store_models() -> list[type[models.Model]]:
    """Models hanging off a store (directly or through a camera) that can travel by slug, in import order."""
    direct, via_camera = [], []
    for model in apps.get_models():
        if model in (Organization, Store, Camera) or model._meta.label in SKIP_MODELS:
            continue
        fks = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
        kinds = {_ref_kind(f) for f in fks}
        if not kinds & {"store", "camera"}:
            continue
        if any(_ref_kind(f) is None and not f.null for f in fks):
            continue  # points at something else we cannot map (e.g. a user): not portable
        (direct if "camera" not in kinds else via_camera).append(model)
    by_label = lambda m: m._meta.label  # noqa: E731
    return sorted(direct, key=by_label) + sorted(via_camera, key=by_label)


def _store_filter(model: type[models.Model], store: Store) -> models.Q:
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey) and _ref_kind(field) == "store":
            return models.Q(**{field.name: store})
    camera_field = next(f for f in model._meta.concrete_fields
                        if isinstance(f, models.ForeignKey) and _ref_kind(f) == "camera")
    return models.Q(**{f"{camera_field.name}__store": store})


def _row(obj: models.Model, include_files: bool) -> dict:
    fields, refs, files = {}, {}, {}
    for field in obj._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField | models.BigAutoField):
            continue
        if isinstance(field, models.ForeignKey):
            kind = _ref_kind(field)
            related = getattr(obj, field.name)
            if kind is None or related is None:
                continue
            refs[field.name] = {"store": lambda o: o.store_id, "camera": lambda o: o.camera_id,
                                "organization": lambda o: o.slug}[kind](related)
        elif isinstance(field, models.FileField):
            value = getattr(obj, field.name)
            fields[field.name] = value.name if value else ""
            if value and include_files:
                with value.open("rb") as handle:
                    files[field.name] = base64.b64encode(handle.read()).decode()
        else:
            fields[field.name] = getattr(obj, field.attname)
    return {"model": obj._meta.label, "fields": fields, "refs": refs, "files": files}


def _lines(store: Store, include_files: bool, progress: Progress) -> Iterator[dict]:
    yield {"format": FORMAT, "version": VERSION, "store": store.store_id}
    yield _row(store.organization, include_files)
    yield _row(store, include_files)
    for camera in Camera.objects.filter(store=store).order_by("camera_id"):
        yield _row(camera, include_files)
    for model in store_models():
        queryset = model._default_manager.filter(_store_filter(model, store)).order_by("pk")
        count = 0
        for obj in queryset.iterator(chunk_size=BATCH):
            count += 1
            yield _row(obj, include_files)
        if count:
            progress(f"  {model._meta.label}: {count}")


def store_export(store_id: str, output: Path, *, include_files: bool = True,
                 progress: Progress = lambda _m: None) -> int:
    store = Store.objects.select_related("organization").filter(store_id=store_id).first()
    if store is None:
        raise TransferError(f"store {store_id!r} does not exist")
    rows = 0
    partial = Path(str(output) + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as handle:
        for line in _lines(store, include_files, progress):
            handle.write(json.dumps(line, cls=DjangoJSONEncoder) + "\n")
            rows += 1
    partial.replace(output)
    return rows - 1


class _Importer:
    def __init__(self, store_slug: str, into_existing: bool, progress: Progress):
        self.store_slug, self.into_existing, self.progress = store_slug, into_existing, progress
        self.organization: Organization | None = None
        self.store: Store | None = None
        self.cameras: dict[str, Camera] = {}
        self.pending: dict[type[models.Model], list[models.Model]] = {}
        self.counts: dict[str, int] = {}
        self.unknown: set[tuple] = set()

    def _build(self, model: type[models.Model], line: dict) -> models.Model:
        obj = model()
        for name, value in line["fields"].items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                if (model, name) not in self.unknown:
                    self.unknown.add((model, name))
                    self.progress(f"  skipping {model._meta.label}.{name}: no such field in this version")
                continue
            if isinstance(field, models.FileField):
                setattr(obj, name, value)
            else:
                setattr(obj, field.attname, field.to_python(value) if value is not None else None)
        for name, slug in line["refs"].items():
            kind = _ref_kind(model._meta.get_field(name))
            target = {"store": self.store, "organization": self.organization,
                      "camera": self.cameras.get(slug)}[kind]
            if target is None:
                raise TransferError(f"{model._meta.label} refers to unknown {kind} {slug!r}")
            setattr(obj, name, target)
        for name, data in line.get("files", {}).items():
            file_field = getattr(obj, name)
            file_field.save(Path(file_field.name).name or "file", ContentFile(base64.b64decode(data)), save=False)
        return obj

    def add(self, line: dict) -> None:
        model = apps.get_model(MOVED_MODELS.get(line["model"], line["model"]))
        if model is Organization:
            slug = line["fields"]["slug"]
            self.organization = Organization.objects.filter(slug=slug).first() or self._save(model, line)
        elif model is Store:
            existing = Store.objects.filter(store_id=self.store_slug).first()
            if existing is not None and not self.into_existing:
                raise TransferError(f"store {self.store_slug!r} already exists here: pass --into-existing to merge")
            self.store = existing or self._save(model, line)
        elif model is Camera:
            slug = line["fields"]["camera_id"]
            self.cameras[slug] = (Camera.objects.filter(store=self.store, camera_id=slug).first()
                                  or self._save(model, line))
        else:
            batch = self.pending.setdefault(model, [])
            batch.append(self._build(model, line))
            if len(batch) >= BATCH:
                self.flush(model)

    def _save(self, model: type[models.Model], line: dict) -> models.Model:
        obj = self._build(model, line)  # organisations keep their UUID: unique across deployments
        obj.save()
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + 1
        return obj

    def flush(self, model: type[models.Model] | None = None) -> None:
        for each in [model] if model else list(self.pending):
            rows = self.pending.pop(each, [])
            if rows:
                # Rows already present (same event_id, same aggregate hour, …) are skipped: re-imports are safe.
                each._default_manager.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
                label = each._meta.label
                self.counts[label] = self.counts.get(label, 0) + len(rows)


def store_import(path: Path, *, into_existing: bool = False, progress: Progress = lambda _m: None) -> dict[str, int]:
    if not Path(path).is_file():
        raise TransferError(f"export file {path} does not exist")
    try:
        handle = gzip.open(path, "rt", encoding="utf-8")  # noqa: SIM115 (closed by the `with` below)
        header = json.loads(handle.readline())
    except (OSError, ValueError) as error:
        raise TransferError(f"{path} is not a store export: {error}") from None
    with handle:
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise TransferError(f"{path} is not a version {VERSION} store export")
        importer = _Importer(header["store"], into_existing, progress)
        with transaction.atomic():
            current = None
            for raw in handle:
                line = json.loads(raw)
                if line["model"] != current:
                    if current is not None:
                        progress(f"  {current}")
                    current = line["model"]
                importer.add(line)
            importer.flush()
    return importer.counts
