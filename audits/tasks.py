from celery import shared_task

from audits.services import audit_evidence_cleanup


@shared_task(ignore_result=True)
def audit_evidence_cleanup_task() -> dict:
    """Beat (common/schedules.py): evidence of done audits and of windows older than AUDIT_RETENTION_DAYS goes."""
    return audit_evidence_cleanup()
