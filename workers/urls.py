# /metrics is served by wink/metrics.py, which registers workers.metrics.CameraMetricsCollector.
urlpatterns: list = []
