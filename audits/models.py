"""Count audits: a window of one camera in which a person counts what the system counted.

Evidence (blurred, downscaled frames and the system's own per-frame counts) lives on disk under
MEDIA_ROOT/audits/<id>/ only while the audit needs it (audits/evidence.py); the rows here keep the
window and, once the auditor submitted, the result figures that the published accuracy pools.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cameras.models import Camera


class Audit(models.Model):
    class Kind(models.TextChoices):
        ENTRANCE = "entrance", "Entrance (in/out crossings)"
        OCCUPANCY = "occupancy", "Occupancy (people per zone)"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"  # the window has not ended yet
        READY = "ready", "Ready to audit"  # the window is over: the auditor may count
        DONE = "done", "Done"  # a result was submitted; evidence deleted

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="audits")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Edge cameras keep their evidence on the box until an audit asks for it (edge/audit.py).
    upload_requested = models.BooleanField(default=False)
    upload_complete = models.BooleanField(default=False)
    evidence_frames = models.PositiveIntegerField(default=0)
    evidence_bytes = models.PositiveBigIntegerField(default=0)
    evidence_deleted_at = models.DateTimeField(null=True, blank=True)
    # The result (entrance: in/out totals; occupancy: summed people over the audited frame×zone pairs).
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    system_in = models.PositiveIntegerField(null=True, blank=True)
    system_out = models.PositiveIntegerField(null=True, blank=True)
    human_in = models.PositiveIntegerField(null=True, blank=True)
    human_out = models.PositiveIntegerField(null=True, blank=True)
    system_people = models.PositiveIntegerField(null=True, blank=True)
    human_people = models.PositiveIntegerField(null=True, blank=True)
    people_abs_error = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="The full result as the API returned it")

    class Meta:
        ordering = ["-start"]
        indexes = [models.Index(fields=["camera", "start"]), models.Index(fields=["status", "end"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="audit_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} audit of {self.camera.camera_id} {self.start:%Y-%m-%d %H:%M}"
