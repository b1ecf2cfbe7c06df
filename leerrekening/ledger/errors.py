"""The ledger's errors: domain errors with stable codes (the API and the tests read them)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from leerportaal.errors import DomainError


class LedgerError(DomainError):
    code = "ledger_error"
    status = 409
    default_message = _("Deze boeking kan niet.")


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"
    status = 422
    default_message = _("Er staat niet genoeg geld op de rekening.")

    def __init__(self, *, account_id: int, available: Decimal, requested: Decimal):
        self.account_id = account_id
        self.available = available
        self.requested = requested
        super().__init__(
            f"insufficient funds on account {account_id}: € {available} available, "
            f"€ {requested} requested",
            details={"available": str(available), "requested": str(requested)},
        )


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    status = 422
    default_message = _("Deze sleutel is al gebruikt voor een andere opdracht.")

    def __init__(self, key: str):
        self.key = key
        super().__init__(
            f"idempotency key {key!r} was already used for a different operation; "
            "use a new key for a new operation"
        )


class ReservationAlreadySettled(LedgerError):
    code = "reservation_already_settled"
    status = 409
    default_message = _("Deze reservering is al afgehandeld.")


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    status = 400
    default_message = _("Dit bedrag kan niet.")


class OperationNotAllowed(LedgerError):
    code = "operation_not_allowed"
    status = 409
    default_message = _("Deze boeking is niet toegestaan.")


# The codes the ledger's database functions return for a refusal (see core.refusal_raise).
REFUSALS = {
    cls.code: cls for cls in (InsufficientFunds, IdempotencyConflict, ReservationAlreadySettled)
}
