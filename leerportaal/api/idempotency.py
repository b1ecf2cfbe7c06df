"""`Idempotency-Key` for API calls that move money.

The first successful response is stored with the key in the same transaction as the money it
moved. While that transaction runs, a concurrent call with the same key waits on the record's
unique index; it then finds the stored response and returns it (`Idempotent-Replayed: true`),
moving nothing. The same key with another request body is refused with 422 idempotency_conflict.
Failed calls (4xx/5xx) store nothing: nothing moved, so a retry runs afresh.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from django.db import connection, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from leerportaal.api.errors import ApiError
from leerportaal.models import IdempotencyRecord

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique key per operation (e.g. a UUID). Retrying with the same key and body "
    "returns the first response and moves no money again.",
)


def _scope(request) -> str:
    if request.auth is not None and hasattr(request.auth, "prefix"):
        return f"apikey:{request.auth.pk}"
    return f"user:{request.user.pk}"


def _request_hash(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except TypeError:
        body = repr(request.data)
    payload = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(payload.encode()).hexdigest()


def idempotent(method):
    """Decorate an APIView's post(): requires the header, replays, refuses conflicts."""

    @wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ApiError(
                code="idempotency_key_missing",
                message="This call moves money: send an Idempotency-Key header.",
            )
        if len(key) > 200:
            raise ApiError(
                code="validation_error", message="Idempotency-Key is at most 200 characters."
            )
        scope, request_hash = _scope(request), _request_hash(request)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Waits here while another transaction holds the same (scope, key).
                cursor.execute(
                    "SELECT request_hash, status_code, response_body FROM leerportaal_idempotencyrecord"
                    " WHERE scope = %s AND key = %s",
                    [scope, key],
                )
                row = cursor.fetchone()
                if row is None:
                    cursor.execute(
                        "INSERT INTO leerportaal_idempotencyrecord"
                        " (scope, key, request_hash, status_code, response_body, created_at)"
                        " VALUES (%s, %s, %s, 0, 'null', now())"
                        " ON CONFLICT (scope, key) DO NOTHING RETURNING id",
                        [scope, key, request_hash],
                    )
                    if cursor.fetchone() is None:  # a concurrent call got there first and committed
                        cursor.execute(
                            "SELECT request_hash, status_code, response_body"
                            " FROM leerportaal_idempotencyrecord WHERE scope = %s AND key = %s",
                            [scope, key],
                        )
                        row = cursor.fetchone()
            if row is not None:
                stored_hash, status_code, body = row
                if stored_hash != request_hash:
                    raise ApiError(
                        code="idempotency_conflict",
                        message="This Idempotency-Key was used for a different request. "
                        "Use a new key for a new operation.",
                        status_code=422,
                    )
                body = json.loads(body) if isinstance(body, str) else body
                return Response(body, status=status_code, headers={"Idempotent-Replayed": "true"})
            response = method(self, request, *args, **kwargs)
            if response.status_code >= 300:
                transaction.set_rollback(True)
                return response
            IdempotencyRecord.objects.filter(scope=scope, key=key).update(
                status_code=response.status_code,
                response_body=json.loads(json.dumps(response.data, default=str)),
            )
            return response

    return wrapper
