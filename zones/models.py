"""Zones and entrance lines, drawn in screenshot coordinates and scaled to the stream by the pipeline."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from cameras.models import Camera
from vision.config import REGION_TYPES
from zones.validation import validate_line, validate_polygon


class Zone(models.Model):
    # The list lives in the pure core (vision.config.REGION_TYPES): Zone.ZoneType.SHELF == "shelf", and so on.
    ZoneType = models.TextChoices(
        "ZoneType", [(value.upper(), (value, label)) for value, label in REGION_TYPES.items()],
        module=__name__, qualname="Zone.ZoneType",
    )

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="zones")
    zone_id = models.SlugField(max_length=100, help_text="Slug used in events, e.g. electronics")
    name = models.CharField(max_length=200)
    ztype = models.CharField("type", max_length=10, choices=ZoneType.choices, default=ZoneType.GENERAL)
    polygon = models.JSONField(help_text="[[x, y], ...] in screenshot pixels")
    screenshot_width = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    screenshot_height = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["camera", "zone_id"]
        constraints = [models.UniqueConstraint(fields=["camera", "zone_id"], name="zone_unique_slug_per_camera")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_ztype_display()})"

    def clean(self) -> None:
        if not self.screenshot_width or not self.screenshot_height:
            raise ValidationError({"screenshot_width": "screenshot size is required"})
        self.polygon = [list(p) for p in validate_polygon(self.polygon, self.screenshot_width, self.screenshot_height)]


class EntranceLine(models.Model):
    """The door line of a camera: `in` is a crossing towards inside_point, `out` the opposite."""

    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="entrance_line")
    start_x = models.FloatField()
    start_y = models.FloatField()
    end_x = models.FloatField()
    end_y = models.FloatField()
    inside_x = models.FloatField()
    inside_y = models.FloatField()
    screenshot_width = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    screenshot_height = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Entrance line of {self.camera.camera_id}"

    @property
    def segment(self) -> list[list[float]]:
        return [[self.start_x, self.start_y], [self.end_x, self.end_y]]

    @property
    def inside_point(self) -> list[float]:
        return [self.inside_x, self.inside_y]

    def clean(self) -> None:
        validate_line(
            [self.start_x, self.start_y], [self.end_x, self.end_y], [self.inside_x, self.inside_y],
            self.screenshot_width, self.screenshot_height,
        )
