from django.contrib import admin

from audits.models import Audit
from audits.selectors import accuracy_badge, camera_accuracy


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    list_display = ("id", "camera", "kind", "start", "end", "status", "system_in", "human_in", "system_out",
                    "human_out", "camera_pooled_accuracy", "evidence_deleted_at")
    list_filter = ("kind", "status")
    search_fields = ("camera__camera_id", "camera__store__store_id")
    readonly_fields = ("result", "created_at", "finished_at", "evidence_frames", "evidence_bytes",
                       "evidence_deleted_at", "camera_pooled_accuracy")
    raw_id_fields = ("camera", "created_by", "finished_by")
    list_select_related = ("camera",)

    @admin.display(description="Camera accuracy (pooled, Wilson 95%)")
    def camera_pooled_accuracy(self, obj: Audit) -> str:
        # The camera's published figure over all its done audits (audits/selectors.py), not this audit's alone.
        return accuracy_badge(camera_accuracy(obj.camera))
