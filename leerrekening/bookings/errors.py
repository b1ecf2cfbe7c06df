"""What a booking step can refuse. Each error carries its API code and HTTP status (the codes
are the published API contract) and the Dutch message a person sees (leerportaal.errors)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from leerportaal.errors import DomainError
from leerportaal.money import euro
from leerrekening import ledger


class BookingError(DomainError):
    code = "booking_error"
    status = 409
    default_message = _("Boeken lukte niet.")


class CourseNotBookable(BookingError):
    """Not approved, provider not approved, or already started."""

    code = "course_not_bookable"
    default_message = _("Deze opleiding kun je niet (meer) boeken. Kies een andere opleiding.")


class CourseFull(BookingError):
    code = "course_full"
    default_message = _("Deze opleiding is vol. Kies een andere datum of opleiding.")


class CourseBookingCapReached(BookingError):
    """Too many bookings for this course in the current period: a rush we slow down."""

    code = "course_booking_cap_reached"
    default_message = _(
        "Deze opleiding is deze week heel vaak geboekt. Probeer het over een paar dagen opnieuw."
    )


class TooManyPendingBookings(BookingError):
    code = "too_many_pending_bookings"
    default_message = _(
        "Je hebt al %(limit)s boekingen die nog niet zijn begonnen. "
        "Wacht tot er een begint, of annuleer er een."
    )

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(self.default_message % {"limit": limit})


class AlreadyBooked(BookingError):
    code = "already_booked"
    default_message = _("Je hebt deze opleiding al geboekt.")


class NotWorkRelated(BookingError):
    code = "not_work_related"
    status = 422
    default_message = _("Je leerrekening betaalt alleen opleidingen voor je werk of loopbaan.")


class ConfirmationFailed(BookingError):
    """The e-mailed code (or the password) is wrong, used, expired or out of attempts."""

    code = "confirmation_failed"
    status = 403
    default_message = _("Deze code klopt niet of is verlopen. Vraag een nieuwe code aan.")


class InsufficientBudget(ledger.InsufficientFunds, DomainError):
    """The ledger's "not enough money", as booking_create says it: what the worker has
    (`available`) against the course's price (`requested`). Not a BookingError subclass: code,
    status and the API's `available`/`requested` keys are the ledger's InsufficientFunds'."""

    code = "insufficient_funds"
    status = 422
    default_message = _(
        "Je hebt niet genoeg tegoed. Je hebt nog %(available)s, de opleiding kost %(price)s. "
        "Je kunt boeken als je de rest zelf betaalt."
    )

    def __init__(self, *, available: Decimal, requested: Decimal, account_id: int | None = None):
        self.account_id = account_id
        self.available = available
        self.requested = requested
        DomainError.__init__(
            self,
            self.default_message
            % {
                "available": euro(available, localize=True),
                "price": euro(requested, localize=True),
            },
            details={"available": str(available), "requested": str(requested)},
        )


class RequestTokenReused(BookingError):
    """The same form token was used for another course: a new booking needs a new form."""

    code = "idempotency_conflict"
    status = 422
    default_message = _("Er ging iets mis. Probeer het opnieuw.")


class AccountFrozen(BookingError):
    """The worker said "dit was ik niet" of a change to their account (accounts/takeover.py):
    nothing is booked until a coordinator unfreezes it."""

    code = "account_frozen"
    status = 403
    default_message = _(
        "Je account is bevroren. Er kan niets geboekt worden tot beheer het opheft."
    )


class BookingNotCancellable(BookingError):
    code = "booking_not_cancellable"
    default_message = _("Deze boeking kun je niet meer annuleren. Neem contact op met de opleider.")


class BookingNotStartable(BookingError):
    code = "booking_not_startable"
    default_message = _(
        "Voor deze boeking kun je geen start melden: hij is geannuleerd of geblokkeerd."
    )


class StartTooEarly(BookingNotStartable):
    code = "start_too_early"
    default_message = _("Je kunt de start pas melden vanaf %(date)s.")

    def __init__(self, earliest: datetime.date):
        self.earliest = earliest
        super().__init__(self.default_message % {"date": earliest.strftime("%d-%m-%Y")})


class NotProviderStaff(BookingError):
    """Not staff of the course's provider: to them the booking does not exist."""

    code = "not_found"
    status = 404
    default_message = _("Niet gevonden.")


class NotBookingsWorker(BookingError):
    """Only the worker of a booking cancels or freezes it."""

    code = "not_bookings_worker"
    status = 403
    default_message = _("Alleen de werkende van deze boeking kan dit doen.")


class NotCoordinator(BookingError):
    code = "not_coordinator"
    status = 403
    default_message = _("Alleen coördinatoren handelen geblokkeerde boekingen af.")


class BookingNotFrozen(BookingError):
    code = "not_frozen"
    default_message = _("Deze boeking is niet geblokkeerd.")
