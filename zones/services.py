"""Writes for screenshots, zones and entrance lines; each change bumps the camera's config version."""

from __future__ import annotations

import warnings

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from cameras.models import Camera, CameraScreenshot
from cameras.services import camera_bump_config_version, slug_from_name
from zones.models import EntranceLine, Zone
from zones.validation import MAX_IMAGE_PIXELS, check_image_size


def screenshot_size_for_camera(camera: Camera) -> tuple[int, int] | None:
    shot = camera.screenshots.order_by("-uploaded_at").first()
    return (shot.width, shot.height) if shot else None


@transaction.atomic
def screenshot_upload(*, camera: Camera, file: UploadedFile, width: int, height: int) -> CameraScreenshot:
    """Store a zone-setup screenshot; width/height define the coordinate space zones are drawn in, so they
    must be the image's real size. The size is read from the header (Pillow opens lazily: nothing is
    decoded); an image over MAX_IMAGE_PIXELS, or one Pillow flags as a decompression bomb, is refused."""
    check_image_size(width, height, fields=("img_width", "img_height"))
    try:
        file.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                real_width, real_height = image.size
                if real_width * real_height > MAX_IMAGE_PIXELS:
                    raise ValidationError({"file": f"{real_width}x{real_height} is more than "
                                                   f"{MAX_IMAGE_PIXELS} pixels"})
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({"file": f"too many pixels (more than {MAX_IMAGE_PIXELS})"}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError({"file": "is not a readable image (PNG or JPEG)"}) from None
    if (real_width, real_height) != (width, height):
        raise ValidationError({"img_width": f"declared {width}x{height} but the image is {real_width}x{real_height}"})
    file.seek(0)
    screenshot = CameraScreenshot(camera=camera, image=file, width=width, height=height)
    screenshot.full_clean()
    screenshot.save()
    camera_bump_config_version(camera)
    return screenshot


def zone_unique_slug(camera: Camera, wanted: str) -> str:
    slug, counter = wanted, 2
    while Zone.objects.filter(camera=camera, zone_id=slug).exists():
        slug, counter = f"{wanted}_{counter}", counter + 1
    return slug


@transaction.atomic
def zone_create(*, camera: Camera, name: str, ztype: str, polygon, screenshot_size: tuple[int, int],
                zone_id: str | None = None) -> Zone:
    zone = Zone(
        camera=camera, name=name, ztype=ztype, polygon=polygon,
        zone_id=zone_id or zone_unique_slug(camera, slug_from_name(name, "zone")),
        screenshot_width=screenshot_size[0], screenshot_height=screenshot_size[1],
    )
    zone.full_clean()
    zone.save()
    camera_bump_config_version(camera)
    return zone


@transaction.atomic
def zone_update(zone: Zone, **fields) -> Zone:
    for key, value in fields.items():
        setattr(zone, key, value)
    zone.full_clean()
    zone.save()
    camera_bump_config_version(zone.camera)
    return zone


@transaction.atomic
def zone_delete(zone: Zone) -> None:
    camera = zone.camera
    zone.delete()
    camera_bump_config_version(camera)


@transaction.atomic
def entrance_line_set(*, camera: Camera, start, end, inside_point, screenshot_size: tuple[int, int]) -> EntranceLine:
    line = EntranceLine.objects.filter(camera=camera).first() or EntranceLine(camera=camera)
    try:
        line.start_x, line.start_y = float(start[0]), float(start[1])
        line.end_x, line.end_y = float(end[0]), float(end[1])
        line.inside_x, line.inside_y = float(inside_point[0]), float(inside_point[1])
    except (TypeError, ValueError, IndexError):
        raise ValidationError({"line": "line needs two [x, y] points and inside_point one [x, y] point"}) from None
    line.screenshot_width, line.screenshot_height = screenshot_size
    line.full_clean()
    line.save()
    camera_bump_config_version(camera)
    return line
