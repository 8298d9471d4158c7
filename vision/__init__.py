"""WINK vision pipeline core: pure Python, no Django, no app (an import-linter contract in pyproject.toml).

Stages: frame source → detector → tracker → zone engine → event builder, driven by the one frame loop in
driver.py (PipelineDriver) for every home of the pipeline. Imports are kept lazy so that `import vision`
stays cheap.
"""
