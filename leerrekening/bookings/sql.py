"""booking_create's one round trip under its locks: the statements, their parameters and the row.

Three statements sent together (leerportaal.prepared): lock the worker's user row (it serialises
their own bookings: the pending cap holds under a double submit), lock the course's row (capacity
and the course cap hold in a rush), then read everything the checks need. The read starts after
the locks are held, so under READ COMMITTED it sees every booking committed before. It also
draws the new booking's id, so the reservation's key can name it before it is inserted, and,
given a code, checks it (counting the attempt) in the same statement.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from leerrekening.bookings import confirmation
from leerrekening.catalogue.selectors import bookable_condition
from leerrekening.models.bookings import ACTIVE_STATUSES, PENDING_STATUSES


@dataclass(frozen=True)
class LockedCourse:
    """The locked read's row, column by column in this order."""

    title: str
    price: Decimal
    capacity: int
    start_date: datetime.date
    provider_id: int
    provider_name: str
    bookable: bool  # catalogue.selectors.bookable_condition on today
    token_booking_id: int | None  # the booking this worker made with this request token
    token_course_id: int | None  # ... and its course
    mine_here: int  # this worker's active bookings of this course
    pending: int  # this worker's bookings waiting for their start
    taken: int  # active bookings of this course
    recent: int  # bookings of this course made in the last BOOKING_PERIOD_DAYS
    balance: Decimal | None  # the worker's learning account (None: no account yet)
    new_booking_id: int  # drawn from the booking id sequence
    code_confirmed: bool | None  # None: no code was given
    locked_until: datetime.datetime | None  # confirmation locked (too many wrong guesses)


_LOCKS_SQL = [
    "SELECT 1 FROM accounts_user WHERE id = %(worker)s FOR UPDATE",
    "SELECT 1 FROM leerrekening_course WHERE id = %(course)s FOR UPDATE",
]


def _read_sql(*, confirmed_column: str, locked_until_column: str) -> str:
    return (
        "SELECT c.title, c.price, c.capacity, c.start_date, c.provider_id, p.name,"  # noqa: S608
        f"        {bookable_condition(course='c', provider='p', today_param='today')},"
        "        token.id, token.course_id,"
        "        n.mine_here, n.pending, n.taken, n.recent,"
        "        (SELECT balance FROM leerrekening_ledgeraccount WHERE worker_id = %(worker)s),"
        "        nextval(pg_get_serial_sequence('leerrekening_booking', 'id')),"
        f"       {confirmed_column},"
        f"       {locked_until_column}"
        "   FROM leerrekening_course c"
        "   JOIN leerrekening_provider p ON p.id = c.provider_id"
        "   LEFT JOIN leerrekening_booking token"
        "     ON token.worker_id = %(worker)s AND token.request_token = %(token)s"
        "  CROSS JOIN ("
        "    SELECT count(*) FILTER (WHERE worker_id = %(worker)s AND course_id = %(course)s"
        "                              AND status = ANY(%(active)s)) AS mine_here,"
        "           count(*) FILTER (WHERE worker_id = %(worker)s"
        "                              AND status = ANY(%(pending)s)) AS pending,"
        "           count(*) FILTER (WHERE course_id = %(course)s"
        "                              AND status = ANY(%(active)s)) AS taken,"
        "           count(*) FILTER (WHERE course_id = %(course)s"
        "                              AND created_at >= %(period_start)s) AS recent"
        "      FROM leerrekening_booking"
        "     WHERE worker_id = %(worker)s OR course_id = %(course)s) AS n"
        "  WHERE c.id = %(course)s"
    )


def locked_read(
    *,
    worker_id: int,
    course_id: int,
    request_token: str,
    today: datetime.date,
    code: str | None,
) -> tuple[list[str], dict]:
    """The statements and parameters of the round trip; its last statement returns no row when
    the course does not exist, else one LockedCourse row (see locked_course()).

    With a `code`, its check (confirmation.code_check_statement) runs in the same statement as a
    data-modifying WITH, which runs exactly once whatever the SELECT returns."""
    lock_sql, lock_params = confirmation.lockout_end_column(user_id=worker_id)
    params = {
        "worker": worker_id,
        "course": course_id,
        "token": request_token,
        "today": today,
        "active": list(ACTIVE_STATUSES),
        "pending": list(PENDING_STATUSES),
        "period_start": timezone.now() - datetime.timedelta(days=settings.BOOKING_PERIOD_DAYS),
        **lock_params,
    }
    if code is None:
        read = _read_sql(confirmed_column="NULL::boolean", locked_until_column=lock_sql)
    else:
        check_sql, check_params = confirmation.code_check_statement(user_id=worker_id, code=code)
        params.update(check_params)
        read = f"WITH code_check AS ({check_sql}) " + _read_sql(  # noqa: S608 — constants only
            confirmed_column="COALESCE((SELECT confirmed FROM code_check), false)",
            locked_until_column=lock_sql,
        )
    return [*_LOCKS_SQL, read], params


def locked_course(row: tuple | None) -> LockedCourse | None:
    return LockedCourse(*row) if row is not None else None
