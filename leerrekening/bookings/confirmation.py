"""Fresh confirmation before money is committed: the password again, or a code by e-mail.

France's CPF lost tens of millions to account takeover until a buy needed a fresh, strong
confirmation. A smartphone is not required here: a 6-digit code arrives by e-mail. Only the
code's hash is stored; it expires after 10 minutes and allows 5 attempts.

Guessing (issue 16): every wrong confirmation, password or code, is counted in its own committed
write (confirmation_failed_record), never in the caller's transaction, which a refusal rolls back
(the API's idempotency transaction does). After 5 wrong ones in 15 minutes confirmation is locked
for that worker for 15 minutes: even the right password or code is refused, the worker gets an
e-mail and coordinators see the lockout in the admin. At most 3 codes are sent per 15 minutes.
"""

from __future__ import annotations

import datetime
import secrets

from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from leerportaal import prepared
from leerportaal.enqueue import send_task, send_task_on_commit
from leerportaal.errors import DomainError
from leerrekening.models import ConfirmationAttempt, OneTimeCode

CODE_LIFETIME = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
BOOKING = "booking"

# Guessing: this many wrong confirmations within the window lock confirmation for LOCK_DURATION.
LOCK_AFTER_WRONG = 5
WRONG_WINDOW = datetime.timedelta(minutes=15)
LOCK_DURATION = datetime.timedelta(minutes=15)
# At most this many codes are sent per worker within the window.
MAX_CODES_SENT = 3
CODES_SENT_WINDOW = datetime.timedelta(minutes=15)


def _clock(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


class ConfirmationLocked(DomainError):
    """Too many wrong confirmations: nothing confirms until `locked_until` (429, Retry-After)."""

    code = "confirmation_locked"
    status = 429
    default_message = _(
        "Je hebt te vaak een verkeerd wachtwoord of een verkeerde code ingevuld. Daarom kun je "
        "even niet bevestigen. Probeer het opnieuw na %(time)s uur."
    )

    def __init__(self, locked_until: datetime.datetime):
        self.locked_until = locked_until
        super().__init__(
            self.default_message % {"time": _clock(locked_until)},
            details={"locked_until": locked_until.isoformat()},
            headers={"Retry-After": str(seconds_until(locked_until))},
        )


class TooManyCodesSent(DomainError):
    """MAX_CODES_SENT codes were sent within CODES_SENT_WINDOW; a new one from `retry_at`."""

    code = "too_many_codes"
    status = 429
    default_message = _(
        "We hebben je net al 3 codes gestuurd. Kijk in je e-mail (ook bij spam). "
        "Een nieuwe code kun je vragen na %(time)s uur."
    )

    def __init__(self, retry_at: datetime.datetime):
        self.retry_at = retry_at
        super().__init__(
            self.default_message % {"time": _clock(retry_at)},
            details={"retry_at": retry_at.isoformat()},
            headers={"Retry-After": str(seconds_until(retry_at))},
        )


def seconds_until(moment: datetime.datetime) -> int:
    """Whole seconds from now until `moment`, at least 1 (for a Retry-After header)."""
    return max(1, int((moment - timezone.now()).total_seconds() + 0.999))


# --- Lockout --------------------------------------------------------------------------------------

_LOCKOUT_END_SQL = (
    "(SELECT max(locked_until) FROM leerrekening_confirmationlockout"
    "  WHERE user_id = %(lock_user)s AND locked_until > %(lock_now)s)"
)


def lockout_end_column(*, user_id: int) -> tuple[str, dict]:
    """A scalar subquery and its parameters: the end of `user_id`'s active lockout (timestamptz),
    or NULL while they may confirm. Also a column of booking_create's locked read, so a booking
    confirmed by password costs no extra round trip. Its parameters are named lock_user and
    lock_now, so they sit beside the caller's own."""
    return _LOCKOUT_END_SQL, {"lock_user": user_id, "lock_now": timezone.now()}


def confirmation_locked_until(*, user: User) -> datetime.datetime | None:
    """When the worker's lockout ends, or None while they may confirm."""
    sql, params = lockout_end_column(user_id=user.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


def _in_callers_transaction() -> bool:
    """True inside a transaction of the caller (its rollback would undo our write). A test's own
    wrapping transaction does not count, as for Django's durable atomic blocks."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


# Serialises one worker's counting (two wrong guesses at once cannot both miss the 5th). A lock
# the caller's transaction never takes, so the write on the side connection cannot wait for it.
_ADVISORY_NAMESPACE = 0x43 << 56


def _record(cursor, *, user_id: int, method: str) -> tuple[int, datetime.datetime] | None:
    now = timezone.now()
    params = {
        "key": _ADVISORY_NAMESPACE | user_id,
        "user": user_id,
        "method": method,
        "now": now,
        "since": now - WRONG_WINDOW,
        "until": now + LOCK_DURATION,
        "lock_after": LOCK_AFTER_WRONG,
    }
    cursor.execute("SELECT pg_advisory_xact_lock(%(key)s)", params)
    cursor.execute(
        "SELECT 1 FROM leerrekening_confirmationlockout"
        " WHERE user_id = %(user)s AND locked_until > %(now)s",
        params,
    )
    if cursor.fetchone():  # already locked: attempts are refused unseen, not counted
        return None
    # Older wrong attempts no longer count: keep only the window (the lockouts stay on record).
    cursor.execute(
        "DELETE FROM leerrekening_confirmationattempt"
        " WHERE user_id = %(user)s AND created_at <= %(since)s",
        params,
    )
    cursor.execute(
        "INSERT INTO leerrekening_confirmationattempt (user_id, method, created_at)"
        " VALUES (%(user)s, %(method)s, %(now)s)",
        params,
    )
    cursor.execute(
        "INSERT INTO leerrekening_confirmationlockout (user_id, locked_at, locked_until, attempts)"
        " SELECT %(user)s, %(now)s, %(until)s, n FROM ("
        "   SELECT count(*) AS n FROM leerrekening_confirmationattempt"
        "    WHERE user_id = %(user)s AND created_at > %(since)s) AS recent"
        " WHERE n >= %(lock_after)s"
        " RETURNING id, locked_until",
        params,
    )
    return cursor.fetchone()


def confirmation_failed_record(*, user: User, method: str) -> datetime.datetime | None:
    """Count a wrong confirmation in a write of its own, committed whatever the caller's
    transaction does; return the lockout's end when this attempt locked confirmation.

    Outside a transaction the write commits on the request's connection. Inside one (the API's
    idempotency transaction) it runs on a short-lived second connection to the same database:
    it touches only the attempt and lockout tables, which the caller never locks, so it cannot
    wait for the caller. Only wrong attempts pay for this; a right one writes nothing.
    The lock e-mail is sent once the count is committed.
    """
    from leerrekening.tasks import confirmation_locked_email_send

    if _in_callers_transaction():
        # A plain driver connection, not the wrapper's pool: opened for this write, then closed.
        side = connection.Database.connect(**connection.get_connection_params())
        try:
            with side.cursor() as cursor:
                locked = _record(cursor, user_id=user.pk, method=method)
            side.commit()
        finally:
            side.close()
        if locked:
            send_task(confirmation_locked_email_send, locked[0])
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            locked = _record(cursor, user_id=user.pk, method=method)
            if locked:
                send_task_on_commit(confirmation_locked_email_send, locked[0])
    return locked[1] if locked else None


def _refuse_wrong(*, user: User, method: str) -> None:
    """After a wrong guess: say it is locked (already, or by this guess), else just count it."""
    locked_until = confirmation_locked_until(user=user)
    if locked_until is not None:
        raise ConfirmationLocked(locked_until)
    locked_until = confirmation_failed_record(user=user, method=method)
    if locked_until is not None:
        raise ConfirmationLocked(locked_until)


def code_hash(*, user_id: int, code: str) -> str:
    # A keyed hash (HMAC with SECRET_KEY) per user: a leaked table does not reveal live codes, and
    # it is fast, unlike a password hasher; 5 attempts, not hashing cost, stop guessing.
    return salted_hmac(
        "leerportaal.one-time-code", f"{user_id}:{code}", algorithm="sha256"
    ).hexdigest()


@transaction.atomic
def one_time_code_send(*, user: User, purpose: str = BOOKING) -> OneTimeCode:
    """Make a new code (earlier unused ones for the purpose stop working) and e-mail it via
    Celery after the commit. The plain code exists only in the task message and the e-mail.

    Raises TooManyCodesSent when MAX_CODES_SENT were sent in the last CODES_SENT_WINDOW."""
    from leerrekening.tasks import one_time_code_email_send

    now = timezone.now()
    # The worker's row serialises their sends, so two quick clicks cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    recent = list(
        OneTimeCode.objects.filter(
            user=user, purpose=purpose, created_at__gt=now - CODES_SENT_WINDOW
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:MAX_CODES_SENT]
    )
    if len(recent) >= MAX_CODES_SENT:
        raise TooManyCodesSent(recent[-1] + CODES_SENT_WINDOW)
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    record = OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=code_hash(user_id=user.pk, code=code),
        expires_at=now + CODE_LIFETIME,
    )
    # Redis down: no e-mail (logged); the page tells how to ask for a new code.
    send_task_on_commit(one_time_code_email_send, user.pk, code)
    return record


_CODE_CHECK_SQL = (
    "UPDATE leerrekening_onetimecode SET attempts = attempts + 1,"
    "  used_at = CASE WHEN code_hash = %(code_guess)s THEN %(code_now)s::timestamptz END"
    " WHERE id = (SELECT id FROM leerrekening_onetimecode"
    "              WHERE user_id = %(code_user)s AND purpose = %(code_purpose)s"
    "                AND used_at IS NULL"
    "              ORDER BY created_at DESC LIMIT 1 FOR UPDATE)"
    "   AND used_at IS NULL AND expires_at > %(code_now)s AND attempts < %(code_max_attempts)s"
    # While confirmation is locked even the right code is not looked at (nor used up).
    "   AND NOT EXISTS (SELECT 1 FROM leerrekening_confirmationlockout"
    "                    WHERE user_id = %(code_user)s AND locked_until > %(code_now)s)"
    " RETURNING used_at IS NOT NULL AS confirmed"
)


def code_check_statement(*, user_id: int, code: str, purpose: str = BOOKING) -> tuple[str, dict]:
    """The code check as one statement, with its parameters (all named code_*): lock the newest
    unused code of the purpose, count the attempt and, for the right code, mark it used; all only
    while the code is unexpired, has attempts left and confirmation is not locked.

    Result: one row with one column, `confirmed` (boolean), or no row when there is no live code.
    booking_create runs it inside its own statement as a data-modifying WITH (bookings.sql),
    one_time_code_verify on its own. A malformed code still costs an attempt; its empty hash
    matches nothing.
    """
    code = (code or "").strip().replace(" ", "")
    guess = code_hash(user_id=user_id, code=code) if code.isdigit() and len(code) == 6 else ""
    return _CODE_CHECK_SQL, {
        "code_guess": guess,
        "code_now": timezone.now(),
        "code_user": user_id,
        "code_purpose": purpose,
        "code_max_attempts": MAX_ATTEMPTS,
    }


def one_time_code_verify(*, user: User, code: str, purpose: str = BOOKING) -> bool:
    """True once for the right code within 10 minutes and 5 attempts. A wrong code is counted
    by confirmation_failed_record (committed on its own, so it counts even when the caller's work
    rolls back); raises ConfirmationLocked while, or once, confirmation is locked.

    The check (code_check_statement) counts the code's own attempts. A concurrent second use of the same code waits
    for the row lock, then finds it used. Comparing the hashes in SQL leaks nothing a timing can
    use: both sides are keyed hashes, and a guess cannot steer its own hash towards the stored one.
    """
    with connection.cursor() as cursor:
        prepared.execute(cursor, *code_check_statement(user_id=user.pk, code=code, purpose=purpose))
        row = cursor.fetchone()
    if row and row[0]:
        return True
    _refuse_wrong(user=user, method=ConfirmationAttempt.Method.CODE)
    return False


def fresh_confirmation_check(
    *,
    user: User,
    password: str = "",
    code: str = "",
    purpose: str = BOOKING,
    lock_checked_later: bool = False,
) -> bool:
    """The worker proved it is them just now: by password, or by the e-mailed code.

    A wrong one is counted (see confirmation_failed_record). Raises ConfirmationLocked while
    confirmation is locked, whether the password is right or not. `lock_checked_later`: the
    caller checks the lock itself with a right password (booking_create does, in the query it
    runs anyway), so a right password costs no query here.
    """
    if password:
        if not lock_checked_later:
            locked_until = confirmation_locked_until(user=user)
            if locked_until is not None:
                raise ConfirmationLocked(locked_until)
        if user.check_password(password):
            return True
        _refuse_wrong(user=user, method=ConfirmationAttempt.Method.PASSWORD)
        return False
    if code:
        return one_time_code_verify(user=user, code=code, purpose=purpose)
    return False
