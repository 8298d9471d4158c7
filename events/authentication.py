"""DRF authentication for edge collectors: `Authorization: Bearer wink_edge_…`.

Tokens that do not start with `wink_edge_` are left to the next authentication class (admin tokens,
sessions), so dashboard endpoints can accept both. A `wink_edge_` token that is unknown or revoked
is a 401 at once.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from cameras.models import EdgeKey
from events.keys import KEY_PREFIX, edge_key_authenticate


class EdgeDevice:
    """The principal of an edge-key request (request.user); request.auth is the EdgeKey."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, edge_key: EdgeKey):
        self.edge_key = edge_key

    def __str__(self) -> str:
        return f"edge key {self.edge_key.prefix}…"


class EdgeKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <api key>'")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("invalid API key") from None
        if not raw.startswith(KEY_PREFIX):
            return None
        edge_key = edge_key_authenticate(raw)
        if edge_key is None:
            raise exceptions.AuthenticationFailed("unknown or revoked edge API key")
        return EdgeDevice(edge_key), edge_key

    def authenticate_header(self, request) -> str:
        # A WWW-Authenticate value makes DRF answer 401 (not 403) when credentials are missing.
        return 'Bearer realm="wink-ingest"'


class EdgeKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "events.authentication.EdgeKeyAuthentication"
    name = "edgeKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Edge API key `wink_edge_…` from POST /api/admin/edge-keys (shown once).",
        }

