"""Small helpers every layer may use: typed settings readers, API errors, instruments, mail, logging.

They import no app (an import-linter layer in pyproject.toml)."""
