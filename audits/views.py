"""The audits API (thin: audits/services.py and selectors.py do the work).

Who may call what: members of a camera's organisation see its audits, frames and accuracy; only organisation
admins (and staff) schedule audits, ask for an upload and submit results (the results are what the camera's
published accuracy is made of). Edge keys reach only the evidence routes of their own store's (camera's) audits.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audits import evidence, selectors, services
from audits.models import Audit
from audits.serializers import (
    AuditCreateSerializer,
    AuditResultInputSerializer,
    AuditResultSerializer,
    AuditSerializer,
    CameraAccuracySerializer,
)
from cameras.models import Camera
from cameras.selectors import camera_get_for_user, user_is_organization_admin
from events.authentication import EdgeKeyAuthentication
from events.throttles import EdgeKeyRateThrottle
from events.views import LimitedJSONParser, PayloadTooLarge
from vision.events import iso

ADMINS_ONLY = "only organisation admins may schedule audits and record their results"


def _bad(error: services.AuditInputError) -> ValidationError:
    return ValidationError({error.field: [error.message]})


def audit_body(audit: Audit) -> dict:
    frames = len([r for r in evidence.evidence_index(audit.pk) if r.get("file")]) \
        if audit.evidence_deleted_at is None else 0
    audit.frames = frames
    audit.status = selectors.audit_status(audit)
    audit.page_url = reverse("audit-page", args=[audit.pk])
    return AuditSerializer(audit).data


def _audit_or_404(request, pk) -> Audit:
    audit = selectors.audit_get_for_user(request.user, pk)
    if audit is None:
        raise NotFound("audit not found")
    return audit


def _require_admin(user, camera: Camera) -> None:
    if not user_is_organization_admin(user, camera.store.organization):
        raise PermissionDenied(ADMINS_ONLY)


@extend_schema(tags=["audits"])
class AuditListCreateView(APIView):
    @extend_schema(summary="Audits of the caller's cameras (newest window first)",
                   parameters=[OpenApiParameter("camera_id", str, required=False)],
                   responses=AuditSerializer(many=True))
    def get(self, request):
        audits = selectors.audit_list_for_user(request.user)
        reference = request.query_params.get("camera_id")
        if reference:
            camera = camera_get_for_user(request.user, reference)
            if camera is None:
                raise ValidationError({"camera_id": [f"unknown camera {reference[:100]!r}"]})
            audits = audits.filter(camera=camera)
        return Response([audit_body(a) for a in audits[:200]])

    @extend_schema(
        summary="Schedule an audit window (admins)",
        description="A window of at most 60 minutes, starting at most 7 days ahead (past windows are allowed: their "
                    "system side comes from the stored events, with no evidence to play), on a camera with an "
                    "entrance line (kind entrance) or zones (kind occupancy), overlapping no other open window of "
                    "the camera. During the window the camera's runner (or edge collector) keeps blurred evidence.",
        request=AuditCreateSerializer, responses={201: AuditSerializer, 400: OpenApiResponse(), 403: OpenApiResponse()})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        reference = data.get("camera_id")
        if reference in (None, ""):
            raise ValidationError({"camera_id": ["This field is required."]})
        camera = camera_get_for_user(request.user, str(reference))
        if camera is None:
            raise ValidationError({"camera_id": [f"unknown camera {str(reference)[:100]!r}"]})
        _require_admin(request.user, camera)
        upload = data.get("upload", False)
        if not isinstance(upload, bool):
            raise ValidationError({"upload": ["Expected true or false."]})
        try:
            audit = services.audit_create(camera=camera, kind=data.get("kind"), start=data.get("start"),
                                          end=data.get("end"), minutes=data.get("minutes"), user=request.user,
                                          upload_requested=upload)
        except services.AuditInputError as error:
            raise _bad(error) from None
        return Response(audit_body(audit), status=status.HTTP_201_CREATED)


@extend_schema(tags=["audits"])
class AuditDetailView(APIView):
    @extend_schema(summary="One audit", responses=AuditSerializer)
    def get(self, request, pk: int):
        return Response(audit_body(_audit_or_404(request, pk)))


@extend_schema(tags=["audits"])
class AuditFramesView(APIView):
    @extend_schema(summary="The window's evidence frames: time, image URL and the system's own counts",
                   responses={200: OpenApiResponse(description="{frames: [{seq, ts, t, url, people, zones, boxes}]}")})
    def get(self, request, pk: int):
        audit = _audit_or_404(request, pk)
        base = reverse("audit-frame", args=[audit.pk])
        frames = []
        for record in evidence.evidence_index(audit.pk):
            if not record.get("file"):
                continue
            offset = services._frame_offset(audit, record)
            frames.append({"seq": record["seq"], "ts": record["ts"], "t": round(offset, 3),
                           "url": f"{base}?i={record['seq']}", "people": record.get("people", 0),
                           "zones": record.get("zones", {}), "boxes": record.get("boxes", []),
                           "events": [e for e in record.get("events", []) if e.get("type") == "entrance"]})
        return Response({"audit": audit.pk, "start": iso(audit.start), "end": iso(audit.end), "frames": frames})


@extend_schema(tags=["audits"])
class AuditResultView(APIView):
    @extend_schema(
        summary="Submit the auditor's count (admins); the audit is done and its evidence deleted",
        description="Entrance: `{in, out}` totals and/or `marks: [{t, direction}]` (t in seconds since the window "
                    "start or ISO 8601); marks are matched to the system's crossings within ±2 s for recall and "
                    "precision. Occupancy: `counts: [{t, zone_id, people}]` on evidence frames.",
        request=AuditResultInputSerializer, responses={200: AuditResultSerializer, 400: OpenApiResponse()})
    def post(self, request, pk: int):
        audit = _audit_or_404(request, pk)
        _require_admin(request.user, audit.camera)
        try:
            result = services.audit_result_submit(audit, request.data, user=request.user)
        except services.AuditInputError as error:
            raise _bad(error) from None
        return Response(result)


@extend_schema(tags=["audits"])
class AuditUploadRequestView(APIView):
    @extend_schema(summary="Ask the camera's edge collector to upload this window's evidence (admins)",
                   request=None, responses=AuditSerializer)
    def post(self, request, pk: int):
        audit = _audit_or_404(request, pk)
        _require_admin(request.user, audit.camera)
        return Response(audit_body(services.audit_upload_request(audit)))


@extend_schema(tags=["audits"])
class CameraAccuracyView(APIView):
    @extend_schema(summary="A camera's audited accuracy, pooled over its audits, with 95% intervals",
                   responses=CameraAccuracySerializer)
    def get(self, request, pk: str):
        camera = camera_get_for_user(request.user, pk)
        if camera is None:
            raise NotFound("camera not found")
        return Response(selectors.camera_accuracy(camera))


# ------------------------------------------------------------------------------------------ edge evidence


class LimitedBytesParser(BaseParser):
    """A raw frame or index body, at most AUDIT_MAX_CHUNK_BYTES (413), read straight from the stream."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_chunk_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"body: larger than {limit} bytes")
        return raw


def max_chunk_bytes() -> int:
    return int(getattr(settings, "AUDIT_MAX_CHUNK_BYTES", 2 * 1024 * 1024))


def _edge_camera(request, data) -> Camera:
    """The camera the edge key speaks for (the store-wide key names it in `camera_id`)."""
    key = request.auth
    slug = data.get("camera_id")
    if key.camera_id is not None:
        if slug and slug != key.camera.camera_id:
            raise PermissionDenied("this API key is bound to another camera")
        return key.camera
    if not isinstance(slug, str) or not slug or len(slug) > 100:
        raise ValidationError({"camera_id": ["This field is required."]})
    camera = Camera.objects.filter(store=key.store, camera_id=slug).first()
    if camera is None:
        raise ValidationError({"camera_id": [f"no camera {slug!r} in this key's store"]})
    return camera


def _edge_audit(request, pk) -> Audit:
    key = request.auth
    audits = Audit.objects.select_related("camera").filter(pk=pk, camera__store=key.store)
    if key.camera_id is not None:
        audits = audits.filter(camera_id=key.camera_id)
    audit = audits.first()
    if audit is None:
        raise NotFound("audit not found")  # another store's audit is not there for this key
    return audit


class EdgeAuditAPIView(APIView):
    authentication_classes = [EdgeKeyAuthentication]
    throttle_classes = [EdgeKeyRateThrottle]


@extend_schema(tags=["ingest"])
class EdgeAuditWindowsView(EdgeAuditAPIView):
    @extend_schema(summary="The camera's audit windows to record, and those whose evidence to upload",
                   parameters=[OpenApiParameter("camera_id", str, required=False)],
                   responses={200: OpenApiResponse(description="{windows: [{id, start, end, upload}]}")})
    def get(self, request):
        camera = _edge_camera(request, request.query_params)
        now = timezone.now()
        rows = Audit.objects.filter(camera=camera, evidence_deleted_at__isnull=True).exclude(
            status=Audit.Status.DONE).filter(end__gt=now - services_retention(), start__lt=now + services.MAX_AHEAD)
        windows = [{"id": a.pk, "start": iso(a.start), "end": iso(a.end), "kind": a.kind,
                    "upload": a.upload_requested and not a.upload_complete and a.end <= now} for a in rows]
        # a window the server no longer lists (done, expired) may be deleted on the box
        return Response({"camera_id": camera.camera_id, "windows": windows,
                         "max_evidence_bytes": evidence.max_evidence_bytes(), "max_chunk_bytes": max_chunk_bytes()})


def services_retention():
    import datetime as dt

    return dt.timedelta(days=services.retention_days())


@extend_schema(tags=["ingest"])
class EdgeEvidenceView(EdgeAuditAPIView):
    parser_classes = [LimitedBytesParser, LimitedJSONParser]

    @extend_schema(summary="What the server holds of a window's evidence (to resume an upload)",
                   responses={200: OpenApiResponse(description="{received: [names], bytes, complete}")})
    def get(self, request, pk: int):
        audit = _edge_audit(request, pk)
        return Response(_received(audit))

    @extend_schema(
        summary="Upload one piece of a window's evidence (idempotent: the same name replaces itself)",
        description="`?name=frames/000123.jpg` (a JPEG) or `?name=index.jsonl` (last); body application/octet-stream, "
                    "at most AUDIT_MAX_CHUNK_BYTES; the window's total at most AUDIT_MAX_EVIDENCE_BYTES (413). "
                    "`?name=complete` (empty body) marks the upload finished.",
        parameters=[OpenApiParameter("name", str, required=True)], request={"application/octet-stream": bytes},
        responses={200: OpenApiResponse(), 400: OpenApiResponse(), 409: OpenApiResponse(), 413: OpenApiResponse()})
    def put(self, request, pk: int):
        audit = _edge_audit(request, pk)
        name = request.query_params.get("name", "")
        if audit.status == Audit.Status.DONE or audit.evidence_deleted_at is not None:
            return Response({"error": "audit: done or expired; evidence no longer accepted"},
                            status=status.HTTP_409_CONFLICT)
        if not audit.upload_requested:
            return Response({"error": "audit: no upload was requested for this window"},
                            status=status.HTTP_409_CONFLICT)
        if name == "complete":
            missing = _received(audit)
            if evidence.INDEX not in missing["received"]:
                raise ValidationError({"name": ["upload index.jsonl before completing"]})
            Audit.objects.filter(pk=audit.pk).update(upload_complete=True, evidence_frames=missing["frames"],
                                                     evidence_bytes=missing["bytes"])
            return Response({**_received(audit), "complete": True})
        if not (evidence.FRAME_NAME_RE.match(name) or name == evidence.INDEX):
            raise ValidationError({"name": ["expected frames/NNNNNN.jpg or index.jsonl"]})
        raw = request.data
        if not isinstance(raw, bytes):
            raise ParseError("body: expected application/octet-stream")
        if name.endswith(".jpg") and not raw.startswith(b"\xff\xd8"):
            raise ValidationError({"body": ["not a JPEG"]})
        directory = evidence.evidence_dir(audit.pk)
        path = directory / name
        _frames, used = evidence.evidence_size(audit.pk)
        previous = path.stat().st_size if path.exists() else 0
        if used - previous + len(raw) > evidence.max_evidence_bytes():
            raise PayloadTooLarge(f"audit: evidence over {evidence.max_evidence_bytes()} bytes")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(raw)
        tmp.replace(path)
        return Response({"name": name, "bytes": len(raw)})


def _received(audit: Audit) -> dict:
    directory = evidence.evidence_dir(audit.pk)
    names = []
    if (directory / evidence.INDEX).is_file():
        names.append(evidence.INDEX)
    frames_dir = directory / "frames"
    if frames_dir.is_dir():
        names += sorted(f"frames/{p.name}" for p in frames_dir.glob("*.jpg"))
    frames, used = evidence.evidence_size(audit.pk)
    return {"audit": audit.pk, "received": names, "frames": frames, "bytes": used,
            "complete": audit.upload_complete}
