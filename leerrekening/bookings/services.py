"""Booking, cancelling, declaring the start and freezing: the worker's spending, step by step.

Every money movement goes through leerrekening.ledger with a key derived from the booking
(booking:<id>:reserve / :post / :void), so a double click or a retried request never moves money
twice. Locks are taken in one order everywhere: the worker's user row, then the course row, then
the ledger's own locks (accounts by id, tranches, reservation); so bookings cannot deadlock.

The lessons of earlier schemes (DESIGN.md, "Spending"): only the worker books, after a fresh
confirmation (bookings.confirmation); only approved providers and courses; caps per worker and
per course; the provider only declares a start, never charges; every booking and payment is
announced to the worker, who can freeze it ("dit was ik niet").
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from leerportaal import prepared
from leerportaal.money import euro
from leerrekening import ledger
from leerrekening.bookings import confirmation, sql
from leerrekening.bookings.confirmation import ConfirmationLocked
from leerrekening.bookings.errors import (
    AccountFrozen,
    AlreadyBooked,
    BookingError,
    BookingNotCancellable,
    BookingNotFrozen,
    BookingNotStartable,
    ConfirmationFailed,
    CourseBookingCapReached,
    CourseFull,
    CourseNotBookable,
    InsufficientBudget,
    NotBookingsWorker,
    NotCoordinator,
    NotProviderStaff,
    NotWorkRelated,
    RequestTokenReused,
    StartTooEarly,
    TooManyPendingBookings,
)
from leerrekening.models import Booking, ConfirmationAttempt, Course, Provider, Reservation
from leerrekening.services.notifications import (
    NOTIFICATION_INSERT_SQL,
    notification_create,
    notification_created,
    notification_insert_params,
)

__all__ = [  # the errors are raised here; callers catch them through this module too
    "AccountFrozen",
    "AlreadyBooked",
    "BookingError",
    "BookingNotCancellable",
    "BookingNotFrozen",
    "BookingNotStartable",
    "ConfirmationFailed",
    "ConfirmationLocked",
    "CourseBookingCapReached",
    "CourseFull",
    "CourseNotBookable",
    "InsufficientBudget",
    "NotBookingsWorker",
    "NotCoordinator",
    "NotProviderStaff",
    "NotWorkRelated",
    "RequestTokenReused",
    "StartTooEarly",
    "TooManyPendingBookings",
    "booking_cancel",
    "booking_create",
    "booking_declare_start",
    "booking_freeze",
    "booking_withdrawal_release",
    "frozen_booking_release",
    "frozen_booking_restore",
    "start_declarable_from",
]

ZERO = Decimal("0.00")


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
    (bookings.confirmation's rules: single use, newest only, 5 attempts, 10 minutes), so a booking
    commits once. A replay of the same request token returns its booking before the code is
    looked at. Without `code` the caller has confirmed otherwise (the password). Either way a
    worker whose confirmation is locked (bookings.confirmation: too many wrong guesses) is
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
        raise AccountFrozen
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
        except (BookingError, InsufficientBudget) as exc:
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
        prepared.execute(
            cursor,
            *sql.locked_read(
                worker_id=worker.pk,
                course_id=course.pk,
                request_token=request_token,
                today=today,
                code=code,
            ),
        )
        locked = sql.locked_course(cursor.fetchone())
        if locked is not None and locked.token_booking_id is not None:
            if locked.token_course_id != course.pk:
                raise RequestTokenReused
            return Booking.objects.get(pk=locked.token_booking_id)
        if locked is not None and locked.locked_until is not None:
            raise ConfirmationLocked(locked.locked_until)
        if code is not None and locked is not None and not locked.code_confirmed:
            raise ConfirmationFailed
        if not work_related:
            raise NotWorkRelated
        if locked is None or not locked.bookable:
            raise CourseNotBookable
        if locked.mine_here:
            raise AlreadyBooked
        if locked.pending >= settings.BOOKING_MAX_PENDING_PER_WORKER:
            raise TooManyPendingBookings(settings.BOOKING_MAX_PENDING_PER_WORKER)
        if locked.taken >= locked.capacity:
            raise CourseFull
        if locked.recent >= settings.BOOKING_MAX_PER_COURSE_PER_PERIOD:
            raise CourseBookingCapReached

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
            raise InsufficientBudget(
                available=exc.available, requested=price, account_id=exc.account_id
            ) from exc

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
            f" Je betaalt zelf {euro(booking.own_contribution)} aan {locked.provider_name}."
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
                        f"We hebben {euro(budget_amount)} van je leerrekening gereserveerd voor"
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
        raise BookingNotCancellable
    if booking.status == Booking.Status.CANCELLED:
        return booking
    if booking.status != Booking.Status.RESERVED:
        raise BookingNotCancellable
    if timezone.localdate() >= booking.course.start_date:
        raise BookingNotCancellable
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
            f"{euro(booking.budget_amount)} staat weer op je leerrekening. "
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
            raise NotProviderStaff
    elif provider is None or booking.course.provider_id != provider.pk:
        raise NotProviderStaff
    if booking.status == Booking.Status.STARTED:
        return booking
    if booking.status != Booking.Status.RESERVED:
        raise BookingNotStartable
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
            f" Daarom is {euro(booking.budget_amount)} van je leerrekening betaald aan de"
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
        raise NotBookingsWorker
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
        raise NotCoordinator
    if booking.status != Booking.Status.FROZEN:
        raise BookingNotFrozen
    if booking.reservation_id and booking.reservation.status == Reservation.Status.POSTED:
        raise BookingNotCancellable(
            _("Deze boeking is al betaald aan de opleider. Los het op met de opleider.")
        )
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
            f"We hebben je melding bekeken. {euro(booking.budget_amount)} staat weer op je "
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
        raise NotCoordinator
    if booking.status != Booking.Status.FROZEN:
        raise BookingNotFrozen
    booking.status = booking.status_before_freeze or Booking.Status.RESERVED
    booking.frozen_at = None
    booking.save(update_fields=["status", "frozen_at", "updated_at"])
    return booking


@transaction.atomic
def booking_withdrawal_release(*, booking_id: int) -> bool:
    """The course's or its provider's approval was withdrawn (catalogue.withdrawal): an open
    reservation goes back to the worker in full and the booking is cancelled; the worker is told.
    Exactly once: under the booking's lock, with the cancellation's own void key, and a booking
    already cancelled or paid (left to settlement) is skipped. True when this call released it."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("course__provider", "reservation")
        .get(pk=booking_id)
    )
    if booking.status not in (
        Booking.Status.REQUESTED,
        Booking.Status.RESERVED,
        Booking.Status.FROZEN,
    ):
        return False
    if booking.reservation_id and booking.reservation.status == Reservation.Status.POSTED:
        return False
    if booking.reservation_id and booking.reservation.status == Reservation.Status.OPEN:
        ledger.reservation_void(
            reservation=booking.reservation, idempotency_key=f"booking:{booking.pk}:void"
        )
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.frozen_at = None
    booking.save(update_fields=["status", "cancelled_at", "frozen_at", "updated_at"])
    course = booking.course
    notification_create(
        user_id=booking.worker_id,
        kind="release",
        title=f"Je boeking van {course.title} is geannuleerd",
        body=(
            f"{course.title} van {course.provider.name} staat niet meer in de catalogus van"
            f" Leerportaal. Daarom is je boeking geannuleerd en staat {euro(booking.budget_amount)}"
            " weer op je leerrekening. Je kunt het opnieuw besteden."
        ),
        dedupe_key=f"booking:{booking.pk}:withdrawn",
    )
    return True
