"""API errors: JSON with a stable `code`, a human message and, for bad input, field details.

    {"code": "validation_error", "message": "...", "fields": {"amount": ["..."]}}

Every `leerportaal.errors.DomainError` a service raises becomes
`{"code": exc.code, "message": exc.message, **exc.details}` with `exc.status` and `exc.headers`,
so bad input never ends in a 500 and the code is the service's own. The handler's generic codes
(`GENERIC_CODES`) and every domain code are listed in the OpenAPI schema (`ErrorCode`,
leerportaal/api/schema.py).

`register_domain_error` is the older way (a plain exception class and a status); it keeps working
until every app's errors are DomainErrors.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from leerportaal.errors import DomainError

# The codes this handler and the views' ApiError raises answer with, besides the DomainError
# codes (leerportaal.errors.codes()). Listed in the schema; a test finds every ApiError code here.
GENERIC_CODES: dict[str, int] = {
    "validation_error": 400,
    "parse_error": 400,
    "idempotency_key_missing": 400,
    "not_authenticated": 401,
    "authentication_failed": 401,
    "invalid_api_key": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "unsupported_media_type": 415,
    "no_prepaid_account": 409,  # leerrekening/api/employer.py: the employer has no funder yet
    "throttled": 429,
    # leerrekening/api/bookings.py raises these as ApiErrors while the confirmation errors are
    # plain exceptions; drop them here once those are DomainErrors (codes() then lists them).
    "confirmation_locked": 429,
    "too_many_codes": 429,
}

# Older registrations: (class, http status), for errors that are not DomainErrors yet.
DOMAIN_ERRORS: list[tuple[type[Exception], int]] = []

# Attributes some domain errors carry that the API has always shown (as text).
_LEGACY_ATTRIBUTES = ("available", "requested")


def register_domain_error(exc_class: type[Exception], http_status: int) -> None:
    DOMAIN_ERRORS.append((exc_class, http_status))


def registered_codes() -> dict[str, int]:
    """The codes of the older registered classes and their subclasses (for the schema)."""
    found: dict[str, int] = {}

    def walk(cls, http_status):
        if isinstance(cls.__dict__.get("code"), str):
            found.setdefault(cls.__dict__["code"], http_status)
        for sub in cls.__subclasses__():
            walk(sub, http_status)

    for exc_class, http_status in DOMAIN_ERRORS:
        walk(exc_class, http_status)
    return found


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


def domain_error_body(exc: Exception) -> dict:
    """The JSON body of a domain error (a DomainError or a registered older class)."""
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": str(exc.message), **exc.details}
    else:
        body = {"code": getattr(exc, "code", "domain_error"), "message": str(exc)}
    for attr in _LEGACY_ATTRIBUTES:
        if attr not in body and hasattr(exc, attr):
            body[attr] = str(getattr(exc, attr))
    return body


def _domain_error_response(exc: Exception) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status, headers=exc.headers or None)
    for exc_class, http_status in DOMAIN_ERRORS:
        if isinstance(exc, exc_class):
            return Response(domain_error_body(exc), status=http_status)
    return None


def exception_handler(exc, context):
    response = _domain_error_response(exc)
    if response is not None:
        return response
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
