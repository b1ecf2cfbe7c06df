"""API errors: JSON with a stable `code`, a human message and, for bad input, field details.

    {"code": "validation_error", "message": "...", "fields": {"amount": ["..."]}}

Domain errors of the services carry their own code (insufficient_funds, idempotency_conflict, …)
and become 4xx here, so bad input never ends in a 500.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# Domain error classes are registered by the apps that define them: (class, http status).
DOMAIN_ERRORS: list[tuple[type[Exception], int]] = []


def register_domain_error(exc_class: type[Exception], http_status: int) -> None:
    DOMAIN_ERRORS.append((exc_class, http_status))


class ApiError(exceptions.APIException):
    """An error with an explicit code and status, raised by API views."""

    def __init__(
        self, *, code: str, message: str, status_code: int = 400, extra=None, headers=None
    ):
        self.status_code = status_code
        self.code = code
        self.extra = extra or {}
        self.headers = headers or {}  # e.g. Retry-After with a 429
        super().__init__(detail=message, code=code)


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return "error"


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {key: [str(m) for m in (value if isinstance(value, list) else [value])]
                for key, value in detail.items()}  # fmt: skip
    return {
        "non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]
    }


def exception_handler(exc, context):
    for exc_class, http_status in DOMAIN_ERRORS:
        if isinstance(exc, exc_class):
            body = {"code": getattr(exc, "code", "domain_error"), "message": str(exc)}
            for attr in ("available", "requested"):
                if hasattr(exc, attr):
                    body[attr] = str(getattr(exc, attr))
            return Response(body, status=http_status)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "message": "Not found."}, status=404)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ApiError):
        return Response(
            {"code": exc.code, "message": str(exc.detail), **exc.extra},
            status=exc.status_code,
            headers=exc.headers,
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            {
                "code": "validation_error",
                "message": "The request has invalid fields.",
                "fields": _flatten(exc.detail),
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let it be a 500 and be logged
    if isinstance(exc, exceptions.APIException):
        code = {
            exceptions.NotAuthenticated: "not_authenticated",
            exceptions.AuthenticationFailed: getattr(exc, "default_code", "authentication_failed"),
            exceptions.PermissionDenied: "forbidden",
            exceptions.NotFound: "not_found",
            exceptions.MethodNotAllowed: "method_not_allowed",
            exceptions.Throttled: "throttled",
            exceptions.ParseError: "parse_error",
            exceptions.UnsupportedMediaType: "unsupported_media_type",
            exceptions.NotAcceptable: "not_acceptable",
        }.get(type(exc), _code_of(exc))
        if isinstance(exc, exceptions.AuthenticationFailed):
            code = _code_of(exc)
        response.data = {"code": code, "message": str(exc.detail)}
    return response
