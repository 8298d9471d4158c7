"""The one validator for camera stream URLs (model field, admin form, API and import paths all run it).

The rules themselves live in the Django-free `vision.urls` so the vision core applies the same ones.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from vision.urls import stream_url_problem


def validate_stream_url(value: str) -> None:
    """Accept rtsp://, rtsps://, http:// or https:// with a host (LAN addresses fine); reject everything else."""
    if not value:
        return
    problem = stream_url_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_stream_url")
