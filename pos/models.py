"""Point-of-sale data: transactions (or hourly totals from tills that export only those) per store.

Design decisions (docs/POS.md):
- `transaction_id` is unique per store: two stores (even of one organisation) may run tills that number
  their receipts alike. Re-sending identical content is a duplicate; different content under the same id is
  a conflict (HTTP 409 naming the id), never an overwrite.
- A store has one currency (`PosStoreSettings.currency`, set by its first accepted row); rows in another
  currency are refused.
- Amounts are Decimal (3 decimal places: BHD, KWD…); a negative amount is a refund: it reduces revenue and
  does not count as a transaction.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from cameras.models import Store


class PosSource(models.TextChoices):
    API = "api", "API batch"
    CSV = "csv", "CSV upload"
    COMMAND = "command", "import_pos command"


class PosStoreSettings(models.Model):
    """Per-store POS settings: the store's currency and the CSV column mapping last used (remembered)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="pos_settings")
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217; set by the first accepted row")
    csv_mapping = models.JSONField(default=dict, blank=True, help_text="field → CSV column name")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"POS settings of {self.store_id}"


class PosTransaction(models.Model):
    id = models.BigAutoField(primary_key=True)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    transaction_id = models.CharField(max_length=100)
    ts = models.DateTimeField()
    amount = models.DecimalField(max_digits=15, decimal_places=3, help_text="Negative = refund")
    currency = models.CharField(max_length=3)
    items = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=PosSource.choices, default=PosSource.API)
    # A database default so that the bulk COPY path need not send it.
    received_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "pos_transactions"
        ordering = ["ts"]
        constraints = [
            models.UniqueConstraint(fields=["store", "transaction_id"], name="pos_transaction_unique_per_store")
        ]
        indexes = [models.Index(fields=["store", "ts"], name="pos_transaction_store_ts")]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} {self.currency}"


class PosHourlyTotal(models.Model):
    """Totals of one store-local hour from a till that exports only those (re-sending replaces them)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField(help_text="UTC start of the store-local hour")
    transactions = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=15, decimal_places=3)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "pos_hourly_totals"
        ordering = ["hour_start"]
        constraints = [models.UniqueConstraint(fields=["store", "hour_start"], name="pos_hourly_total_unique")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.hour_start:%Y-%m-%d %H:%M}Z {self.transactions}"
