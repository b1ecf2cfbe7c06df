"""The errors deposits raise: each a DomainError with a stable code, status and Dutch message.

Status 422 for all of them, as the employer API has always answered deposit errors. A raise passes
a more specific message when it has one (with the numbers the user needs).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from leerportaal.errors import DomainError
from leerrekening import ledger


class DepositError(DomainError):
    """A request the rules refuse; the message is for the user."""

    code = "deposit_error"
    status = 422
    default_message = _("Deze storting kan niet.")


class BatchNotConfirmable(DepositError):
    code = "batch_not_confirmable"
    default_message = _("Deze batch kan niet (meer) worden bevestigd.")


class EndDateTooLate(DepositError):
    code = "end_date_too_late"
    default_message = _(
        "De einddatum mag hoogstens 5 jaar na de stortingsdatum liggen (belastingvrij)."
    )


class EmploymentNotActive(DepositError):
    code = "employment_not_active"
    default_message = _("De werknemer is op de stortingsdatum niet in dienst.")


class RosterChanged(DepositError):
    """An employment the validation chose was removed before the lines were stored."""

    code = "roster_changed"
    default_message = _(
        "Het personeelsbestand is veranderd terwijl het bestand werd gecontroleerd. "
        "Upload het bestand opnieuw."
    )


class FundsTooLow(ledger.InsufficientFunds, DepositError):
    """Not enough prepaid money for what is asked: the ledger's InsufficientFunds, found before
    the ledger is asked (a confirmed batch must be able to run to its end). Its API code stays
    `funds_too_low` (422), its message is the deposit's own."""

    code = "funds_too_low"
    status = 422
    default_message = _("Het beschikbare tegoed is te laag.")

    def __init__(self, message=None, *, account_id: int, available, requested):
        # The ledger's constructor sets account_id, available and requested (and its own text,
        # replaced here by the message for the user).
        super().__init__(account_id=account_id, available=available, requested=requested)
        self.message = message if message is not None else self.default_message
        self.details = {"available": str(available), "requested": str(requested)}
        self.headers = {}
        self.args = (str(self.message),)
