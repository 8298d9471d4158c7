"""WINK vision pipeline core: pure Python, no Django (guarded by tests/test_no_django.py).

Stages: frame source → detector → tracker → zone engine → event builder. The core modules here are
types, config, geometry, tracker, zones, events, pipeline, replay, mot and summary; imports are kept
lazy so that `import vision` stays cheap.
"""
