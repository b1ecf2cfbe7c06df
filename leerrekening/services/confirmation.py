"""Fresh confirmation before money is committed: the password again, or a code by e-mail.

France's CPF lost tens of millions to account takeover until a buy needed a fresh, strong
confirmation. A smartphone is not required here: a 6-digit code arrives by e-mail. Only the
code's hash is stored; it expires after 10 minutes and allows 5 attempts.
"""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from leerrekening.models import OneTimeCode

CODE_LIFETIME = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
BOOKING = "booking"


def _code_hash(*, user_id: int, code: str) -> str:
    # A keyed hash (HMAC with SECRET_KEY) per user: a leaked table does not reveal live codes, and
    # it is fast, unlike a password hasher; 5 attempts, not hashing cost, stop guessing.
    return salted_hmac(
        "leerportaal.one-time-code", f"{user_id}:{code}", algorithm="sha256"
    ).hexdigest()


@transaction.atomic
def one_time_code_send(*, user: User, purpose: str = BOOKING) -> OneTimeCode:
    """Make a new code (earlier unused ones for the purpose stop working) and e-mail it via
    Celery after the commit. The plain code exists only in the task message and the e-mail."""
    from leerrekening.tasks import one_time_code_email_send

    now = timezone.now()
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    record = OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=_code_hash(user_id=user.pk, code=code),
        expires_at=now + CODE_LIFETIME,
    )
    transaction.on_commit(lambda: one_time_code_email_send.delay(user.pk, code))
    return record


def one_time_code_verify(*, user: User, code: str, purpose: str = BOOKING) -> bool:
    """True once for the right code within 10 minutes and 5 attempts. Every attempt is counted
    (committed on its own, so a wrong guess is counted even when the caller's work rolls back)."""
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        record = (
            OneTimeCode.objects.select_for_update()
            .filter(user=user, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if record is None or record.expires_at <= timezone.now():
            return False
        if record.attempts >= MAX_ATTEMPTS:
            return False
        OneTimeCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        if not (
            code.isdigit()
            and len(code) == 6
            and constant_time_compare(_code_hash(user_id=user.pk, code=code), record.code_hash)
        ):
            return False
        OneTimeCode.objects.filter(pk=record.pk).update(used_at=timezone.now())
    return True


def fresh_confirmation_check(
    *, user: User, password: str = "", code: str = "", purpose: str = BOOKING
) -> bool:
    """The worker proved it is them just now: by password, or by the e-mailed code."""
    if password:
        return user.check_password(password)
    if code:
        return one_time_code_verify(user=user, code=code, purpose=purpose)
    return False
