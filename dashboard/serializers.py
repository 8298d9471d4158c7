"""Response shapes of the dashboard API (also what the OpenAPI schema shows)."""

from __future__ import annotations

from rest_framework import serializers


class DashboardCameraSerializer(serializers.Serializer):
    camera_id = serializers.CharField()
    name = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField(help_text="online | offline (2 missed heartbeats) | error | …")
    last_heartbeat = serializers.DateTimeField(allow_null=True)
    enabled = serializers.BooleanField()
    people_now = serializers.IntegerField(allow_null=True)


class DashboardCamerasSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    cameras = DashboardCameraSerializer(many=True)


class ZoneNumbersSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    unique_visitors = serializers.IntegerField()
    avg_dwell = serializers.FloatField()
    people_now = serializers.IntegerField(allow_null=True)


class ShelfNumbersSerializer(serializers.Serializer):
    interactions = serializers.IntegerField()
    avg_dwell = serializers.FloatField()


class QueueNumbersSerializer(serializers.Serializer):
    served = serializers.IntegerField()
    avg_wait = serializers.FloatField()
    max_wait = serializers.FloatField()
    length_now = serializers.IntegerField(allow_null=True)


class LiveSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    footfall = serializers.IntegerField(help_text="Entrance `in` events today (store-local day)")
    footfall_out = serializers.IntegerField()
    people_now = serializers.IntegerField(allow_null=True, help_text="Sum of fresh camera live states")
    zones = serializers.DictField(child=ZoneNumbersSerializer())
    shelves = serializers.DictField(child=ShelfNumbersSerializer())
    queues = serializers.DictField(child=QueueNumbersSerializer())
    cameras = DashboardCameraSerializer(many=True)
    date = serializers.DateField(help_text="Store-local date the numbers cover")
    timezone = serializers.CharField()
    timestamp = serializers.DateTimeField()
