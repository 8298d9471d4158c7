from django.contrib import admin

from pos.models import PosHourlyTotal, PosStoreSettings, PosTransaction


@admin.register(PosTransaction)
class PosTransactionAdmin(admin.ModelAdmin):
    list_display = ("transaction_id", "store", "ts", "amount", "currency", "items", "source")
    list_filter = ("source", "currency")
    search_fields = ("transaction_id", "store__store_id")
    list_select_related = ("store",)
    date_hierarchy = "ts"
    show_full_result_count = False  # a busy store has millions of rows


@admin.register(PosHourlyTotal)
class PosHourlyTotalAdmin(admin.ModelAdmin):
    list_display = ("store", "hour_start", "transactions", "revenue", "currency")
    search_fields = ("store__store_id",)
    list_select_related = ("store",)


@admin.register(PosStoreSettings)
class PosStoreSettingsAdmin(admin.ModelAdmin):
    list_display = ("store", "currency", "updated_at")
    search_fields = ("store__store_id",)
