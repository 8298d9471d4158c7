"""API-wide helpers: an exception handler whose 400s always name the field and carry a message."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return f"{key}: {inner}" if key != "non_field_errors" else inner
        return "invalid input"
    if isinstance(detail, (list, tuple)):
        return _first_message(detail[0]) if detail else "invalid input"
    return str(detail)


def exception_handler(exc, context):
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
