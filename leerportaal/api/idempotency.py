"""`Idempotency-Key` for API calls that move money.

The first successful response is stored with the key in the same transaction as the money it
moved. While that transaction runs, a concurrent call with the same key waits on the record's
unique index; it then finds the stored response and returns it (`Idempotent-Replayed: true`),
moving nothing. The same key with another request body is refused with 422 idempotency_conflict.
Failed calls (4xx/5xx) store nothing: nothing moved, so a retry runs afresh.

The stored request hash is an HMAC with the server's SECRET_KEY (salted_hmac) of the method,
path and body, with passwords and one-time codes left out (`SECRET_FIELDS`): a stolen table gives
no way to test guesses of a password. An uploaded file counts by its content, not only its name.
This module is the only place that computes it. Records stored before this hash (a plain sha256
of the whole body) were rewrapped by migration 0002 as HMAC("legacy:" + old hash) and are still
matched that way (`_legacy_hash`), so a replay of such an old key still works.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils.crypto import salted_hmac
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


# Request fields that are never part of the stored hash (compared case-insensitively).
SECRET_FIELDS = frozenset({"password", "code", "one_time_code", "otp", "token", "secret"})
HASH_SALT = "leerportaal.api.idempotency"


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)  # the view reads the file after us
    return f"file:{upload.name}:{upload.size}:{digest.hexdigest()}"


def _hashable(value):
    """The request data without secrets, files replaced by a digest of their content."""
    if isinstance(value, UploadedFile):
        return _file_digest(value)
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict (form and multipart bodies)
        return {
            k: [_hashable(v) for v in values]
            for k, values in value.lists()
            if k.lower() not in SECRET_FIELDS
        }
    if isinstance(value, dict):
        return {k: _hashable(v) for k, v in value.items() if str(k).lower() not in SECRET_FIELDS}
    if isinstance(value, list | tuple):
        return [_hashable(v) for v in value]
    return value


def hash_of_request(request) -> str:
    body = json.dumps(_hashable(request.data), sort_keys=True, default=str)
    payload = f"{request.method} {request.path}\n{body}"
    return salted_hmac(HASH_SALT, payload, algorithm="sha256").hexdigest()


def legacy_rewrap(old_hash: str) -> str:
    """What migration 0002 stored in place of a record's old plain sha256 hash."""
    return salted_hmac(HASH_SALT, f"legacy:{old_hash}", algorithm="sha256").hexdigest()


def _legacy_hash(request) -> str:
    """The rewrapped form of the hash used before the HMAC (records stored before 0002)."""
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except TypeError:
        body = repr(request.data)
    payload = f"{request.method} {request.path}\n{body}"
    return legacy_rewrap(hashlib.sha256(payload.encode()).hexdigest())


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
        scope, request_hash = _scope(request), hash_of_request(request)
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
                if stored_hash != request_hash and stored_hash != _legacy_hash(request):
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
