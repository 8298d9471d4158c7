"""Tenancy and devices: Organization → Store → Camera, plus screenshots and edge keys."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cameras.fields import EncryptedTextField
from cameras.validation import validate_stream_url
from vision.urls import mask_stream_url, mask_url

STREAM_OPEN_ERROR = "cannot open stream"  # how vision/sources.py starts every stream-open failure

CAPABILITIES = ("entrance", "zones", "shelves", "queue")


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Asia/Kolkata)") from None


def validate_capabilities(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("capabilities must be a list of strings")
    unknown = sorted(set(value) - set(CAPABILITIES))
    if unknown:
        raise ValidationError(f"unknown capabilities {unknown}; allowed: {list(CAPABILITIES)}")


def validate_not_numeric(value: str) -> None:
    if str(value).isdigit():
        raise ValidationError("may not be only digits: it would read as a camera's numeric id")


def mask_url_password(url: str) -> str:
    """A stream URL for display: password, lone userinfo (a token) and secret parameters hidden.

    Never raises, never returns a secret: rows stored before validation existed (a bad port, spaces) come back
    fully masked ("rtsp://***"). The rules live in vision.urls, shared with the workers."""
    return mask_stream_url(url, keep_username=True)


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="organizations")
    # Roles: a member sees and uses the organisation's stores; an admin (also a member) may in addition set
    # camera stream URLs, alert targets and edge keys. Staff/superusers operate the whole deployment.
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="administered_organizations",
        help_text="Organisation admins: may set camera URLs, alert channels and edge keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="stores")
    store_id = models.SlugField(max_length=100, unique=True, help_text="Public slug, e.g. store_demo_001")
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Issue #17: beyond staff zones, tell staff by their uniform's colours (vision/uniform.py); off by default.
    staff_uniform_model = models.BooleanField(
        default=False, help_text="Learn the staff uniform in staff zones and leave matching people out of customer "
                                 "numbers (takes effect when the store's cameras next reload their config)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.store_id})"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Camera(models.Model):
    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"
        ERROR = "error", "Error"

    class Anchor(models.TextChoices):
        FOOT = "foot", "Feet (bottom centre of the box)"
        CENTER = "center", "Box centre"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="cameras")
    camera_id = models.SlugField(
        max_length=100, validators=[validate_not_numeric],
        help_text="Slug, unique within the store, e.g. cam_entrance_01 (not only digits)",
    )
    name = models.CharField(max_length=200)
    # Encrypted at rest (cameras/fields.py); shown back only masked.
    # Only rtsp/rtsps/http/https with a host (cameras/validation.py): never file:, concat:, subfile: ...
    rtsp_url = EncryptedTextField(
        max_length=1000, blank=True, validators=[validate_stream_url],
        help_text="rtsp://, rtsps://, http:// or https:// with a host. Stored; never shown back with its password",
    )
    # Optional lower-resolution stream to run detection on (a camera's substream, as Frigate's `detect` role):
    # the runner reads it; the zone-setup screenshots keep the main stream. Same rules and masking as rtsp_url.
    detect_url = EncryptedTextField(
        max_length=1000, blank=True, validators=[validate_stream_url],
        help_text="Optional detect stream (e.g. the substream, 640x360 at 5 fps); empty = detect on the main stream. "
                  "rtsp://, rtsps://, http:// or https:// with a host. Stored; never shown back with its password",
    )
    enabled = models.BooleanField(default=True)
    capabilities = models.JSONField(default=list, blank=True, validators=[validate_capabilities])
    frame_rate = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.1), MaxValueValidator(60)],
        help_text="Frames sampled per second; empty = FRAME_RATE setting",
    )
    detection_interval = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Detect on every Nth sampled frame; empty = DETECTION_INTERVAL setting",
    )
    min_dwell_seconds = models.FloatField(default=2.0, validators=[MinValueValidator(0)])
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.FOOT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Bumped whenever the camera, its zones or its line change so running workers reload within seconds.
    config_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store__store_id", "camera_id"]
        constraints = [models.UniqueConstraint(fields=["store", "camera_id"], name="camera_unique_slug_per_store")]
        indexes = [models.Index(fields=["enabled", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.camera_id})"

    @property
    def masked_rtsp_url(self) -> str:
        return mask_url_password(self.rtsp_url)

    @property
    def masked_detect_url(self) -> str:
        return mask_url_password(self.detect_url) if self.detect_url else ""

    @property
    def analysed_url(self) -> str:
        """The stream the workers detect on: the detect stream when set, else the main stream."""
        return self.detect_url or self.rtsp_url

    @property
    def masked_analysed_url(self) -> str:
        return mask_url_password(self.analysed_url) if self.analysed_url else ""

    def clean(self) -> None:
        super().clean()
        # screenshots read the main stream: a detect stream alone would leave zones undrawable
        if self.detect_url and not self.rtsp_url:
            raise ValidationError({"detect_url": "needs the main stream URL (rtsp_url) too: the zone-setup "
                                                 "screenshots use the main stream"})

    @property
    def public_last_error(self) -> str:
        """The last error as the organisation sees it (API, camera page): credentials masked, and why a stream did
        not open (refused, timed out, unknown host) left out, so camera URLs cannot map the server's network.
        Operators read the detail in the Django admin and the worker log."""
        text = mask_url(self.last_error or "")
        if text.startswith(STREAM_OPEN_ERROR):
            return f"{STREAM_OPEN_ERROR} (it did not open or could not be read)"
        return text

    @property
    def effective_frame_rate(self) -> float:
        return self.frame_rate or settings.FRAME_RATE

    @property
    def effective_detection_interval(self) -> int:
        return self.detection_interval or settings.DETECTION_INTERVAL


def screenshot_upload_path(instance: CameraScreenshot, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"screenshots/{instance.camera.store.store_id}/{instance.camera.camera_id}/{uuid.uuid4().hex}.{extension}"


class CameraScreenshot(models.Model):
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="screenshots")
    image = models.ImageField(upload_to=screenshot_upload_path)
    width = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    height = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        get_latest_by = "uploaded_at"

    def __str__(self) -> str:
        return f"{self.camera.camera_id} {self.width}x{self.height} @ {self.uploaded_at:%Y-%m-%d %H:%M}"


class CameraHeatmap(models.Model):
    """Where people stood on one store-local day: anchor counts on a coarse grid normalised to the frame."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="heatmaps")
    date = models.DateField(help_text="Store-local date")
    cols = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    rows = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    counts = models.JSONField(default=list, help_text="rows*cols person-samples, row-major")
    total = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["camera", "-date"]
        constraints = [models.UniqueConstraint(fields=["camera", "date"], name="camera_heatmap_unique_day")]

    def __str__(self) -> str:
        return f"Heatmap {self.camera.camera_id} {self.date}"


class EdgeKey(models.Model):
    """An API key for one edge camera; only its SHA-256 is stored, the key is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="edge_keys")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="edge_keys")
    # Empty camera = a store-wide key, valid for every camera of the store (one api_key per edge box).
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="edge_keys", null=True, blank=True)
    prefix = models.CharField(max_length=24, help_text="First characters of the key, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.camera.camera_id if self.camera else 'all cameras'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        if self.camera_id and self.store_id and self.camera.store_id != self.store_id:
            raise ValidationError({"camera": "camera does not belong to this store"})
        if self.store_id and self.organization_id and self.store.organization_id != self.organization_id:
            raise ValidationError({"store": "store does not belong to this organisation"})
