"""API keys: created and revoked by coordinators or the organisation's own staff; stored hashed.

A key looks like ``lp_<prefix>.<secret>``: the prefix finds the row, the secret (32 random bytes)
is compared by its SHA-256. A plain hash suffices because the secret is random and long, not a
password a person chose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Employer, User
from leerportaal.errors import DomainError


class ApiKeyError(DomainError):
    code = "api_key_error"
    status = 400
    default_message = _("Een sleutel hoort bij precies één werkgever of één opleider.")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, name: str, by: User, employer: Employer | None = None, provider=None
) -> tuple[ApiKey, str]:
    """Create a key for one organisation. Returns the row and the key text, which is never
    stored and cannot be shown again."""
    if (employer is None) == (provider is None):
        raise ApiKeyError
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        employer=employer,
        provider=provider,
        prefix=prefix,
        key_hash=_hash(secret),
        created_by=by,
    )
    return key, f"lp_{prefix}.{secret}"


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, presented: str) -> ApiKey | None:
    """The live key matching the presented text, or None (unknown, malformed or revoked)."""
    if not presented.startswith("lp_") or "." not in presented:
        return None
    prefix, _dot, secret = presented[3:].partition(".")
    key = (
        ApiKey.objects.select_related("employer", "provider")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    # At most one write a minute per key: the timestamp is for humans, not for accounting.
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
