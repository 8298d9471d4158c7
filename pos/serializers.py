"""Shapes of the POS API (for the OpenAPI schema; validation itself lives in pos.services, one rule set)."""

from __future__ import annotations

from rest_framework import serializers


class TransactionSerializer(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=100, help_text="Unique per store (the till's receipt id)")
    store_id = serializers.CharField(help_text="Store slug (one of your organisation's stores)")
    ts = serializers.DateTimeField(help_text="ISO 8601; no offset = UTC; 2000-01-01Z .. now + 5 min")
    amount = serializers.DecimalField(max_digits=15, decimal_places=3,
                                      help_text="Negative = refund (reduces revenue, not transactions)")
    currency = serializers.CharField(max_length=3, help_text="ISO 4217; one currency per store")
    items = serializers.IntegerField(required=False, min_value=0,
                                     help_text="Number of items (a list of line items counts as its length)")


class TransactionBatchSerializer(serializers.Serializer):
    transactions = TransactionSerializer(many=True, help_text="1 to 1000 transactions (a bare list works too)")


class HourlyTotalSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    hour = serializers.DateTimeField(help_text="Start of a store-local hour, e.g. 2025-10-01T04:30:00Z in Kolkata")
    transactions = serializers.IntegerField(min_value=0)
    revenue = serializers.DecimalField(max_digits=15, decimal_places=3)
    currency = serializers.CharField(max_length=3, required=False, help_text="Default: the store's currency")


class HourlyTotalBatchSerializer(serializers.Serializer):
    totals = HourlyTotalSerializer(many=True, help_text="1 to 1000 hours (a bare list works too)")


class RejectedRowSerializer(serializers.Serializer):
    index = serializers.IntegerField(required=False, help_text="Position in the batch (API)")
    line = serializers.IntegerField(required=False, help_text="Line of the CSV file (the header is line 1)")
    transaction_id = serializers.CharField(allow_null=True, required=False)
    field = serializers.CharField()
    code = serializers.CharField(help_text="invalid, conflict, unknown_store, currency_mismatch, future_timestamp")
    error = serializers.CharField()


class PosResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text="Newly stored")
    duplicates = serializers.IntegerField(help_text="Already stored with the same content (a retry)")
    rejected_count = serializers.IntegerField()
    rejected = RejectedRowSerializer(many=True, help_text="The first 1000 rejections")
    conflicts = serializers.ListField(child=serializers.CharField(),
                                      help_text="transaction_ids stored earlier with different content (HTTP 409)")
    touched_hours = serializers.IntegerField(help_text="Store-local hours marked for re-aggregation")


class CsvOptionsSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                    help_text="field → column: transaction_id, ts, amount (required), currency, "
                                              "items, store_id")
    naive_timestamps = serializers.ChoiceField(choices=["utc", "local"], required=False,
                                               help_text="Timestamps without an offset are UTC (default) or "
                                                         "store-local time")
    currency = serializers.CharField(required=False, allow_blank=True,
                                     help_text="Currency of rows without one (default: the store's)")


class CsvUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="UTF-8 CSV with a header row")
    options = serializers.CharField(required=False,
                                    help_text='JSON of CsvOptions; default: the store\'s remembered options, else '
                                              'a guess from the header')


class CsvPreviewSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    options = CsvOptionsSerializer()
    rows = serializers.ListField(child=serializers.DictField(), help_text="The first rows as they will be stored")
    result = PosResultSerializer(help_text="What the import would do; nothing was written")


class CsvImportSerializer(serializers.Serializer):
    store_id = serializers.CharField()
    options = CsvOptionsSerializer()
    result = PosResultSerializer()
