"""Sign-in plumbing: API tokens (django-rest-knox) and the password lockout (django-axes).

API tokens are sent as `Authorization: Bearer <token>` (the guides' header). The database keeps only a SHA-512
digest and the first 15 characters (`token_key`, the prefix shown in the admin) with an expiry; the token itself
is printed once by `manage.py issue_admin_token` and cannot be read back.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """knox token sent as `Authorization: Bearer <token>`; expired tokens are refused (401) and deleted."""

    keyword = "Bearer"

    def authenticate_header(self, request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cameras.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "API token `wink_api_…` from `manage.py issue_admin_token` (shown once; expires).",
        }


def client_ip_address(request: HttpRequest) -> str | None:
    """The client address for django-axes, trusting X-Forwarded-For as far as DRF's NUM_PROXIES does.

    Behind nginx-proxy (NUM_PROXIES=1) the last X-Forwarded-For entry is the one the proxy saw; without proxies
    REMOTE_ADDR is the client and a forged X-Forwarded-For header is ignored.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies > 0 and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(num_proxies, len(addresses))]
    return remote_addr


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (dashboard and admin): HTTP 429 with what to do next."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/lockout.html", {"cooloff_minutes": minutes}, status=429)
