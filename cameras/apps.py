from django.apps import AppConfig


class CamerasConfig(AppConfig):
    name = "cameras"
    verbose_name = "Organisations, stores and cameras"
