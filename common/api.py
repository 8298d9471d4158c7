"""API-wide helpers: an exception handler whose 400s always name the field and carry a message, and
whose oversized bodies are a JSON 413 (`{"error": "body: larger than N bytes"}`) on every API route."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import exception_handler as drf_exception_handler


class OptionalSlashRouter(SimpleRouter):
    """The guides call `/api/cameras` without a trailing slash; every router of the API accepts both forms."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return f"{key}: {inner}" if key != "non_field_errors" else inner
        return "invalid input"
    if isinstance(detail, (list, tuple)):
        return _first_message(detail[0]) if detail else "invalid input"
    return str(detail)


def body_too_large_message(limit: int | None = None) -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    return f"body: larger than {limit} bytes"


def _request_limit_response(exc) -> Response | None:
    """Django's request-size guards raise these when request.body / request.POST is read (DRF reads it in
    `request.data`); left alone they become Django's HTML 400. Here: JSON 413 / 400 naming the limit."""
    if isinstance(exc, RequestDataTooBig):
        return Response({"error": body_too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, RecursionError):  # json.loads of `[[[[…` (DRF's JSONParser only catches ValueError)
        return Response({"error": "body: JSON nested too deeply"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFieldsSent):
        return Response({"error": f"body: more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields"},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFilesSent):
        return Response({"error": f"body: more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files"},
                        status=status.HTTP_400_BAD_REQUEST)
    return None


def exception_handler(exc, context):
    limited = _request_limit_response(exc)
    if limited is not None:
        return limited
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError) and isinstance(response.data, (dict, list)):
        # Keep DRF's per-field dict and add a one-line message naming the first bad field.
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"error": _first_message(errors), "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(response.data, dict) and "detail" in response.data and "error" not in response.data:
        response.data = {"error": str(response.data["detail"]), **response.data}
    return response


def error_response(message: str, http_status: int, field: str | None = None) -> Response:
    body = {"error": f"{field}: {message}" if field else message}
    if field:
        body["errors"] = {field: [message]}
    return Response(body, status=http_status)
