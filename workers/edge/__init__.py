"""Edge collector for the store box: cameras → workers/vision pipeline → durable buffer → ingestion API.

Django-free. Run: `python -m workers.edge run config.yaml`; check: `python -m workers.edge selftest config.yaml`.
"""
