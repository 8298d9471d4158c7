"""Mail settings from the environment: one EMAIL_URL, or the EMAIL_* variables one by one.

EMAIL_URL forms: `smtp://user:password@host:587?tls=true`, `smtps://user:password@host:465` (implicit TLS),
`console://` (print mails to the log), `locmem://` (tests), `dummy://` (drop). Percent-encode special
characters in the user or password (`@` → `%40`). Without EMAIL_URL: EMAIL_BACKEND (default: SMTP when
EMAIL_HOST is set, else console), EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_TIMEOUT.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from common.env import EnvError, env_bool, env_int, env_str

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
_TRUE = {"1", "true", "yes", "on"}


def email_settings() -> dict:
    url = env_str("EMAIL_URL", "")
    if url:
        return parse_email_url(url)
    host = env_str("EMAIL_HOST", "")
    return {
        "EMAIL_BACKEND": env_str("EMAIL_BACKEND", BACKENDS["smtp"] if host else BACKENDS["console"]),
        "EMAIL_HOST": host or "localhost",
        "EMAIL_PORT": env_int("EMAIL_PORT", 25, minimum=1),
        "EMAIL_HOST_USER": env_str("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": env_str("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
        "EMAIL_TIMEOUT": env_int("EMAIL_TIMEOUT", 10, minimum=1),
    }


def parse_email_url(url: str) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in BACKENDS:
        raise EnvError(f"EMAIL_URL scheme {scheme!r} is not one of {sorted(BACKENDS)}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError:
        raise EnvError(f"EMAIL_URL has an invalid port: {url.split('@')[-1]!r}") from None
    use_ssl = scheme == "smtps" or query.get("ssl", "").lower() in _TRUE
    return {
        "EMAIL_BACKEND": BACKENDS[scheme],
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port or (465 if use_ssl else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": query.get("tls", "").lower() in _TRUE,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": int(query.get("timeout", "10")) if query.get("timeout", "10").isdigit() else 10,
    }
