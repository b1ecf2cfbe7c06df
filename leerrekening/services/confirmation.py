"""Fresh confirmation before money is committed: the password again, or a code by e-mail.

France's CPF lost tens of millions to account takeover until a buy needed a fresh, strong
confirmation. A smartphone is not required here: a 6-digit code arrives by e-mail. Only the
code's hash is stored; it expires after 10 minutes and allows 5 attempts.
"""

from __future__ import annotations

import datetime
import secrets

from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from leerportaal import prepared
from leerportaal.enqueue import send_task_on_commit
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
    # Redis down: no e-mail (logged); the page tells how to ask for a new code.
    send_task_on_commit(one_time_code_email_send, user.pk, code)
    return record


# The code check as one statement: lock the newest unused code of the purpose, count the attempt
# and, for the right code, mark it used; all only while the code is unexpired and has attempts
# left. It returns one row, `confirmed`, or none when there is no live code. booking_create runs
# it inside its own transaction (services.bookings), one_time_code_verify on its own.
CODE_CHECK_SQL = (
    "UPDATE leerrekening_onetimecode SET attempts = attempts + 1,"
    "  used_at = CASE WHEN code_hash = %(code_guess)s THEN %(code_now)s::timestamptz END"
    " WHERE id = (SELECT id FROM leerrekening_onetimecode"
    "              WHERE user_id = %(code_user)s AND purpose = %(code_purpose)s"
    "                AND used_at IS NULL"
    "              ORDER BY created_at DESC LIMIT 1 FOR UPDATE)"
    "   AND used_at IS NULL AND expires_at > %(code_now)s AND attempts < %(code_max_attempts)s"
    " RETURNING used_at IS NOT NULL AS confirmed"
)


def code_check_params(*, user_id: int, code: str, purpose: str = BOOKING) -> dict:
    """The parameters of CODE_CHECK_SQL for this guess. A malformed code still costs an attempt;
    its empty hash matches nothing."""
    code = (code or "").strip().replace(" ", "")
    guess = _code_hash(user_id=user_id, code=code) if code.isdigit() and len(code) == 6 else ""
    return {
        "code_guess": guess,
        "code_now": timezone.now(),
        "code_user": user_id,
        "code_purpose": purpose,
        "code_max_attempts": MAX_ATTEMPTS,
    }


def one_time_code_verify(*, user: User, code: str, purpose: str = BOOKING) -> bool:
    """True once for the right code within 10 minutes and 5 attempts. Every attempt is counted
    (committed on its own, so a wrong guess is counted even when the caller's work rolls back).

    CODE_CHECK_SQL in autocommit. A concurrent second use of the same code waits for the row
    lock, then finds it used. Comparing the hashes in SQL leaks nothing a timing can use: both
    sides are keyed hashes, and a guess cannot steer its own hash towards the stored one.
    """
    with connection.cursor() as cursor:
        prepared.execute(
            cursor, CODE_CHECK_SQL, code_check_params(user_id=user.pk, code=code, purpose=purpose)
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def fresh_confirmation_check(
    *, user: User, password: str = "", code: str = "", purpose: str = BOOKING
) -> bool:
    """The worker proved it is them just now: by password, or by the e-mailed code."""
    if password:
        return user.check_password(password)
    if code:
        return one_time_code_verify(user=user, code=code, purpose=purpose)
    return False
