from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # Register the delivery task in every process, web included: alerts_notify queues it by name, and an
        # eager Celery (embedded mode, tests) can only run a task that this process has registered.
        from alerts import tasks  # noqa: F401
