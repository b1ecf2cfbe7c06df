"""Booking, cancelling, declaring the start and freezing: the worker's spending, step by step.

Every money movement goes through leerrekening.ledger with a key derived from the booking
(booking:<id>:reserve / :post / :void), so a double click or a retried request never moves money
twice. Locks are taken in one order everywhere: the worker's user row, then the course row, then
the ledger's own locks (accounts by id, tranches, reservation); so bookings cannot deadlock.

The lessons of earlier schemes (DESIGN.md, "Spending"): only the worker books, after a fresh
confirmation (services.confirmation); only approved providers and courses; caps per worker and
per course; the provider only declares a start, never charges; every booking and payment is
announced to the worker, who can freeze it ("dit was ik niet").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from leerportaal import prepared
from leerrekening import ledger
from leerrekening.models import Booking, ConfirmationAttempt, Course, Provider, Reservation
from leerrekening.models.bookings import ACTIVE_STATUSES, PENDING_STATUSES
from leerrekening.selectors_portal import BOOKABLE_SQL
from leerrekening.services import confirmation
from leerrekening.services.confirmation import (
    CODE_CHECK_SQL,
    LOCKED_UNTIL_SQL,
    ConfirmationLocked,
    code_check_params,
    lock_params,
)
from leerrekening.services.notifications import (
    NOTIFICATION_INSERT_SQL,
    notification_create,
    notification_created,
    notification_insert_params,
)

ZERO = Decimal("0.00")


# --- Errors ---------------------------------------------------------------------------------------


class BookingError(Exception):
    code = "booking_error"


class CourseNotBookable(BookingError):
    """Not approved, provider not approved, or already started."""

    code = "course_not_bookable"


class CourseFull(BookingError):
    code = "course_full"


class CourseBookingCapReached(BookingError):
    """Too many bookings for this course in the current period: a rush we slow down."""

    code = "course_booking_cap"


class TooManyPendingBookings(BookingError):
    code = "too_many_pending"

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"at most {limit} bookings may wait for their start")


class AlreadyBooked(BookingError):
    code = "already_booked"


class NotWorkRelated(BookingError):
    code = "not_work_related"


class ConfirmationFailed(BookingError):
    """The e-mailed code is wrong, used, expired or out of attempts."""

    code = "confirmation_failed"


class InsufficientBudget(BookingError):
    code = "insufficient_budget"

    def __init__(self, *, available: Decimal, requested: Decimal):
        self.available = available
        self.requested = requested
        super().__init__(f"€ {available} available, € {requested} requested")


class RequestTokenReused(BookingError):
    """The same form token was used for another course: a new booking needs a new form."""

    code = "request_token_reused"


class AccountFrozen(BookingError):
    """The worker said "dit was ik niet" of a change to their account (accounts/takeover.py):
    nothing is booked until a coordinator unfreezes it."""

    code = "account_frozen"


class BookingNotCancellable(BookingError):
    code = "not_cancellable"


class BookingNotStartable(BookingError):
    code = "not_startable"


class StartTooEarly(BookingNotStartable):
    code = "start_too_early"

    def __init__(self, earliest: datetime.date):
        self.earliest = earliest
        super().__init__(f"a start can be declared from {earliest}")


class NotProviderStaff(BookingError):
    code = "not_provider_staff"


class BookingNotFrozen(BookingError):
    code = "not_frozen"


# --- Helpers --------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"€ {value:.2f}".replace(".", ",")


@dataclass(frozen=True)
class _LockedCourse:
    """What booking_create reads under its locks, in one round trip."""

    title: str
    price: Decimal
    capacity: int
    start_date: datetime.date
    provider_id: int
    provider_name: str
    bookable: bool
    token_booking_id: int | None
    token_course_id: int | None
    mine_here: int
    pending: int
    taken: int
    recent: int
    balance: Decimal | None
    new_booking_id: int
    code_confirmed: bool | None  # None: no code was given
    locked_until: datetime.datetime | None  # confirmation locked (too many wrong guesses)


# What booking_create reads once its locks are held (one statement, see _lock_and_read).
_LOCKED_READ_SQL = (
    "SELECT c.title, c.price, c.capacity, c.start_date, c.provider_id, p.name,"  # noqa: S608
    f"        {BOOKABLE_SQL},"
    "        token.id, token.course_id,"
    "        n.mine_here, n.pending, n.taken, n.recent,"
    "        (SELECT balance FROM leerrekening_ledgeraccount WHERE worker_id = %(worker)s),"
    "        nextval(pg_get_serial_sequence('leerrekening_booking', 'id')),"
    "        {confirmed},"
    f"       {LOCKED_UNTIL_SQL}"
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
_LOCKS_SQL = [
    "SELECT 1 FROM accounts_user WHERE id = %(worker)s FOR UPDATE",
    "SELECT 1 FROM leerrekening_course WHERE id = %(course)s FOR UPDATE",
]
_LOCKED_READ = [*_LOCKS_SQL, _LOCKED_READ_SQL.replace("{confirmed}", "NULL::boolean")]
# With the e-mailed code: its check (confirmation.CODE_CHECK_SQL) runs in the same statement, as
# a data-modifying WITH, which runs exactly once whatever the SELECT returns.
_LOCKED_READ_WITH_CODE = [
    *_LOCKS_SQL,
    f"WITH code_check AS ({CODE_CHECK_SQL}) "  # noqa: S608 — constant SQL, no input in it
    + _LOCKED_READ_SQL.replace(
        "{confirmed}", "COALESCE((SELECT confirmed FROM code_check), false)"
    ),
]


def _lock_and_read(
    cursor,
    *,
    worker: User,
    course: Course,
    request_token: str,
    today: datetime.date,
    code: str | None,
) -> _LockedCourse | None:
    """Lock the worker's row (it serialises their own bookings: the pending cap holds under a
    double submit), then the course's row (capacity and the course cap hold in a rush), then read
    everything the checks need. Three statements in one round trip; the last starts after the
    locks are held, so under READ COMMITTED it sees every booking committed before.
    Also draws the new booking's id, so the reservation's key can name it before it is inserted,
    and, given a `code`, checks it (counting the attempt) in the same statement.
    """
    params = {
        "worker": worker.pk,
        "course": course.pk,
        "token": request_token,
        "today": today,
        "active": list(ACTIVE_STATUSES),
        "pending": list(PENDING_STATUSES),
        "period_start": timezone.now() - datetime.timedelta(days=settings.BOOKING_PERIOD_DAYS),
        **lock_params(user_id=worker.pk),
    }
    if code is not None:
        params.update(code_check_params(user_id=worker.pk, code=code))
    prepared.execute(cursor, _LOCKED_READ if code is None else _LOCKED_READ_WITH_CODE, params)
    row = cursor.fetchone()
    return _LockedCourse(*row) if row else None


def start_declarable_from(*, course: Course) -> datetime.date:
    """A provider may declare the start from the course's start date on. Declaring posts the
    reservation to the provider, and money reaches a provider no earlier than the start date
    (DESIGN "Settlement": payment follows proof, never before the start date); until then the
    worker can still cancel and get the reservation back in full."""
    return course.start_date


# --- Booking --------------------------------------------------------------------------------------


def booking_create(
    *,
    worker: User,
    course: Course,
    work_related: bool,
    pays_rest_self: bool,
    request_token: str,
    code: str | None = None,
) -> Booking:
    """Book `course` for `worker` and reserve the price from their learning account.

    Invariants: at most one active booking per worker and course; never more active bookings for a
    course than its capacity; at most BOOKING_MAX_PENDING_PER_WORKER bookings waiting for their
    start; the budget pays only when the worker says the course is about work and career, and at
    most what is available: the rest only if the worker states they pay it themselves. The same
    request token returns the booking made with it and moves no money again.

    `code`: the worker confirms with the e-mailed one-time code, checked in this transaction
    (services.confirmation's rules: single use, newest only, 5 attempts, 10 minutes), so a booking
    commits once. A replay of the same request token returns its booking before the code is
    looked at. Without `code` the caller has confirmed otherwise (the password). Either way a
    worker whose confirmation is locked (services.confirmation: too many wrong guesses) is
    refused with ConfirmationLocked; a wrong code is counted towards that lock in a write of its
    own, committed even when the caller's transaction rolls back.

    A refusal commits before it is raised: every check runs before the ledger moves money, so
    what it commits is the code's counted attempt (a right code stays used, as when it is checked
    on its own) and at most ledger accounts opened at zero on a first use (the worker's, its
    escrow shard, the provider's).

    Raises AccountFrozen, ConfirmationLocked, ConfirmationFailed, NotWorkRelated,
    CourseNotBookable, CourseFull, CourseBookingCapReached, TooManyPendingBookings, AlreadyBooked,
    InsufficientBudget,
    RequestTokenReused.
    """
    if worker.frozen_at is not None:
        raise AccountFrozen("this account is frozen")
    with transaction.atomic():
        try:
            return _booking_create(
                worker=worker,
                course=course,
                work_related=work_related,
                pays_rest_self=pays_rest_self,
                request_token=request_token,
                code=code,
            )
        except BookingError as exc:
            refused = exc
    if isinstance(refused, ConfirmationFailed):
        locked_until = confirmation.confirmation_failed_record(
            user=worker, method=ConfirmationAttempt.Method.CODE
        )
        if locked_until is not None:
            raise ConfirmationLocked(locked_until) from refused
    raise refused


def _booking_create(
    *,
    worker: User,
    course: Course,
    work_related: bool,
    pays_rest_self: bool,
    request_token: str,
    code: str | None,
) -> Booking:
    today = timezone.localdate()
    with connection.cursor() as cursor:
        locked = _lock_and_read(
            cursor,
            worker=worker,
            course=course,
            request_token=request_token,
            today=today,
            code=code,
        )
        if locked is not None and locked.token_booking_id is not None:
            if locked.token_course_id != course.pk:
                raise RequestTokenReused(request_token)
            return Booking.objects.get(pk=locked.token_booking_id)
        if locked is not None and locked.locked_until is not None:
            raise ConfirmationLocked(locked.locked_until)
        if code is not None and locked is not None and not locked.code_confirmed:
            raise ConfirmationFailed("the one-time code is not right")
        if not work_related:
            raise NotWorkRelated("only courses about work and career are paid from the budget")
        if locked is None or not locked.bookable:
            raise CourseNotBookable(course.pk)
        if locked.mine_here:
            raise AlreadyBooked(course.pk)
        if locked.pending >= settings.BOOKING_MAX_PENDING_PER_WORKER:
            raise TooManyPendingBookings(settings.BOOKING_MAX_PENDING_PER_WORKER)
        if locked.taken >= locked.capacity:
            raise CourseFull(course.pk)
        if locked.recent >= settings.BOOKING_MAX_PER_COURSE_PER_PERIOD:
            raise CourseBookingCapReached(course.pk)

        price = locked.price
        available = locked.balance if locked.balance is not None else ZERO
        if available >= price:
            budget_amount = price
        elif pays_rest_self and available > 0:
            budget_amount = available
        else:
            raise InsufficientBudget(available=available, requested=price)

        booking_id = locked.new_booking_id
        try:
            reservation = ledger.reservation_create(
                worker=worker,
                provider=Provider(pk=locked.provider_id, name=locked.provider_name),
                amount=budget_amount,
                idempotency_key=f"booking:{booking_id}:reserve",
                cause=f"booking:{booking_id}",
                key_serialised=True,  # the worker's row is locked and the id is new
            )
        except ledger.InsufficientFunds as exc:
            # The balance changed between our read and the ledger's lock (an expiry, another tab).
            raise InsufficientBudget(available=exc.available, requested=price) from exc

        # Inserted once the money is reserved, so in one go and already reserved; the constraints
        # (one active booking per worker and course, once per token, amounts) still guard it.
        now = timezone.now()
        booking = Booking(
            pk=booking_id,
            worker=worker,
            course=course,
            reservation=reservation,
            price=price,
            budget_amount=budget_amount,
            own_contribution=price - budget_amount,
            work_related=True,
            status=Booking.Status.RESERVED,
            request_token=request_token,
            created_at=now,
            updated_at=now,
        )
        own = (
            f" Je betaalt zelf {_money(booking.own_contribution)} aan {locked.provider_name}."
            if booking.own_contribution
            else ""
        )
        # The booking and its notification in one round trip.
        prepared.execute(
            cursor,
            [
                "INSERT INTO leerrekening_booking (id, worker_id, course_id, reservation_id, price,"
                " budget_amount, own_contribution, work_related, status, status_before_freeze,"
                " request_token, frozen_reason, created_at, updated_at)"
                " VALUES (%(id)s, %(worker)s, %(course)s, %(reservation)s, %(price)s,"
                " %(budget_amount)s, %(own_contribution)s, true, %(status)s, '', %(token)s, '',"
                " %(now)s, %(now)s)",
                NOTIFICATION_INSERT_SQL,
            ],
            {
                "id": booking.pk,
                "worker": worker.pk,
                "course": course.pk,
                "reservation": reservation.pk,
                "price": booking.price,
                "budget_amount": booking.budget_amount,
                "own_contribution": booking.own_contribution,
                "status": booking.status,
                "token": request_token,
                "now": now,
                **notification_insert_params(
                    user_id=worker.pk,
                    kind="booking",
                    title=f"Je hebt {locked.title} geboekt",
                    body=(
                        f"We hebben {_money(budget_amount)} van je leerrekening gereserveerd voor"
                        f" {locked.title} bij {locked.provider_name}"
                        f" (start {locked.start_date:%d-%m-%Y}).{own}"
                        " Het geld gaat pas naar de opleider als de opleiding begint."
                    ),
                    dedupe_key=f"booking:{booking.pk}:created",
                ),
            },
        )
        notification_created(cursor.fetchone())
    return booking


@transaction.atomic
def booking_cancel(*, booking: Booking, by: User) -> Booking:
    """The worker cancels before the start: the reservation goes back in full, into the tranches
    it came from. Idempotent: cancelling a cancelled booking changes nothing.
    Raises BookingNotCancellable (started, frozen, or on/after the start date)."""
    booking = Booking.objects.select_for_update().select_related("course").get(pk=booking.pk)
    if booking.worker_id != by.pk:
        raise BookingNotCancellable("only the worker cancels their own booking")
    if booking.status == Booking.Status.CANCELLED:
        return booking
    if booking.status != Booking.Status.RESERVED:
        raise BookingNotCancellable(booking.status)
    if timezone.localdate() >= booking.course.start_date:
        raise BookingNotCancellable("the course has started")
    if booking.reservation_id:
        ledger.reservation_void(
            reservation=booking.reservation, idempotency_key=f"booking:{booking.pk}:void"
        )
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "cancelled_at", "updated_at"])
    notification_create(
        user_id=booking.worker_id,
        kind="release",
        title=f"Je boeking van {booking.course.title} is geannuleerd",
        body=(
            f"{_money(booking.budget_amount)} staat weer op je leerrekening. "
            "Je kunt het opnieuw besteden."
        ),
        dedupe_key=f"booking:{booking.pk}:cancelled",
    )
    return booking


@transaction.atomic
def booking_declare_start(
    *, booking: Booking, by: User | None, provider: Provider | None = None
) -> Booking:
    """Provider staff declare that the worker started: the reservation is posted to the provider.

    `by` is a staff member of the provider (portal), or None with `provider` when the provider's
    own system declares it with its API key. Only the course's own provider; only a reserved booking; from
    start_declarable_from(), the course's start date. A provider never creates a booking or a charge: this moves exactly
    the amount the worker reserved, to the provider the worker chose. Idempotent per booking.
    Raises NotProviderStaff, BookingNotStartable, StartTooEarly.
    """
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("course__provider", "reservation")
        .get(pk=booking.pk)
    )
    if by is not None:
        if not booking.course.provider.memberships.filter(user=by).exists():
            raise NotProviderStaff(booking.pk)
    elif provider is None or booking.course.provider_id != provider.pk:
        raise NotProviderStaff(booking.pk)
    if booking.status == Booking.Status.STARTED:
        return booking
    if booking.status != Booking.Status.RESERVED:
        raise BookingNotStartable(booking.status)
    earliest = start_declarable_from(course=booking.course)
    if timezone.localdate() < earliest:
        # Refused before anything moves: the reservation stays open, the booking reserved.
        raise StartTooEarly(earliest)
    if booking.reservation_id:
        ledger.reservation_post(
            reservation=booking.reservation, idempotency_key=f"booking:{booking.pk}:post"
        )
    booking.status = Booking.Status.STARTED
    booking.started_at = timezone.now()
    booking.started_declared_by = by
    booking.save(update_fields=["status", "started_at", "started_declared_by", "updated_at"])
    notification_create(
        user_id=booking.worker_id,
        kind="payment",
        title=f"{booking.course.provider.name} is betaald voor {booking.course.title}",
        body=(
            f"{booking.course.provider.name} meldt dat je bent begonnen aan {booking.course.title}."
            f" Daarom is {_money(booking.budget_amount)} van je leerrekening betaald aan de"
            ' opleider. Klopt dit niet? Kies dan bij je boeking voor "Dit was ik niet".'
        ),
        dedupe_key=f"booking:{booking.pk}:paid",
    )
    return booking


@transaction.atomic
def booking_freeze(*, booking: Booking, by: User, reason: str = "") -> Booking:
    """ "Dit was ik niet": the worker freezes a booking or its payment. An open reservation stays
    held (it is not paid out, nor released) until a coordinator looks; every coordinator is told.
    Idempotent. Only the worker of the booking can freeze it."""
    booking = (
        Booking.objects.select_for_update(of=("self",)).select_related("course").get(pk=booking.pk)
    )
    if booking.worker_id != by.pk:
        raise BookingError("only the worker freezes their own booking")
    if booking.status == Booking.Status.FROZEN:
        return booking
    booking.status_before_freeze = booking.status
    booking.status = Booking.Status.FROZEN
    booking.frozen_at = timezone.now()
    booking.frozen_reason = reason[:2000]
    booking.save(
        update_fields=["status", "status_before_freeze", "frozen_at", "frozen_reason", "updated_at"]
    )
    for coordinator_id in User.objects.filter(is_coordinator=True, is_active=True).values_list(
        "pk", flat=True
    ):
        notification_create(
            user_id=coordinator_id,
            kind="booking",
            title=f'Boeking #{booking.pk} geblokkeerd: "dit was ik niet"',
            body=(
                f"Een werkende zegt dat boeking #{booking.pk} ({booking.course.title}) niet van"
                " hem of haar is. Bekijk de lijst met geblokkeerde boekingen in Leerportaal."
            ),
            dedupe_key=f"booking:{booking.pk}:frozen:coordinator:{coordinator_id}",
        )
    return booking


@transaction.atomic
def frozen_booking_release(*, booking: Booking, by: User) -> Booking:
    """A coordinator settles a frozen booking in the worker's favour: an open reservation goes back
    to the worker in full, and the booking is cancelled. A payment already made stays a dispute
    with the provider (a correction outside the portal); the booking then stays frozen.
    Raises BookingNotFrozen, BookingNotCancellable."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("course", "reservation")
        .get(pk=booking.pk)
    )
    if not by.is_coordinator:
        raise BookingError("only coordinators settle frozen bookings")
    if booking.status != Booking.Status.FROZEN:
        raise BookingNotFrozen(booking.pk)
    if booking.reservation_id and booking.reservation.status == Reservation.Status.POSTED:
        raise BookingNotCancellable("already paid to the provider")
    if booking.reservation_id and booking.reservation.status == Reservation.Status.OPEN:
        ledger.reservation_void(
            reservation=booking.reservation, idempotency_key=f"booking:{booking.pk}:void"
        )
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.frozen_at = None
    booking.save(update_fields=["status", "cancelled_at", "frozen_at", "updated_at"])
    notification_create(
        user_id=booking.worker_id,
        kind="release",
        title=f"Boeking van {booking.course.title} is teruggedraaid",
        body=(
            f"We hebben je melding bekeken. {_money(booking.budget_amount)} staat weer op je "
            "leerrekening."
        ),
        dedupe_key=f"booking:{booking.pk}:released",
    )
    return booking


@transaction.atomic
def frozen_booking_restore(*, booking: Booking, by: User) -> Booking:
    """A coordinator finds the booking was the worker's after all: back to its status before the
    freeze (the reservation was held all along). Raises BookingNotFrozen."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if not by.is_coordinator:
        raise BookingError("only coordinators settle frozen bookings")
    if booking.status != Booking.Status.FROZEN:
        raise BookingNotFrozen(booking.pk)
    booking.status = booking.status_before_freeze or Booking.Status.RESERVED
    booking.frozen_at = None
    booking.save(update_fields=["status", "frozen_at", "updated_at"])
    return booking
