from django.contrib import admin

from audits.models import Audit


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    list_display = ("id", "camera", "kind", "start", "end", "status", "system_in", "human_in", "system_out",
                    "human_out", "evidence_deleted_at")
    list_filter = ("kind", "status")
    search_fields = ("camera__camera_id", "camera__store__store_id")
    readonly_fields = ("result", "created_at", "finished_at", "evidence_frames", "evidence_bytes",
                       "evidence_deleted_at")
    raw_id_fields = ("camera", "created_by", "finished_by")
