"""Edge collector for the store box: cameras → vision pipeline → durable buffer → ingestion API.

Django-free. Run: `python -m edge run config.yaml`; check: `python -m edge selftest config.yaml`.
"""
