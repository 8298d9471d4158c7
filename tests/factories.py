"""factory_boy factories shared by the test suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from cameras.models import Camera, Organization, Store
from zones.models import EntranceLine, Zone


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Retailer {n}")
    slug = factory.Sequence(lambda n: f"retailer-{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    organization = factory.SubFactory(OrganizationFactory)
    store_id = factory.Sequence(lambda n: f"store_{n:03d}")
    name = factory.Sequence(lambda n: f"Store {n}")
    timezone = "UTC"


class CameraFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Camera

    store = factory.SubFactory(StoreFactory)
    camera_id = factory.Sequence(lambda n: f"cam_{n:02d}")
    name = factory.Sequence(lambda n: f"Camera {n}")
    rtsp_url = "rtsp://admin:s3cret@192.0.2.10:554/stream1"
    capabilities = factory.LazyFunction(lambda: ["entrance", "zones"])


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    camera = factory.SubFactory(CameraFactory)
    zone_id = factory.Sequence(lambda n: f"zone_{n}")
    name = factory.Sequence(lambda n: f"Zone {n}")
    ztype = Zone.ZoneType.GENERAL
    polygon = factory.LazyFunction(lambda: [[100, 100], [400, 100], [400, 300], [100, 300]])
    screenshot_width = 1920
    screenshot_height = 1080


class EntranceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntranceLine

    camera = factory.SubFactory(CameraFactory)
    start_x, start_y, end_x, end_y = 960, 400, 960, 700
    inside_x, inside_y = 1200, 550
    screenshot_width, screenshot_height = 1920, 1080
