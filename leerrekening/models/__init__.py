"""The learning account: ledger, funders, tranches, reservations, notifications and the catalogue.

See ledger.py for the money model and catalogue.py for providers and courses.
"""

from leerrekening.models.approvals import ApprovalWithdrawal
from leerrekening.models.bookings import (
    Booking,
    ConfirmationAttempt,
    ConfirmationLockout,
    OneTimeCode,
)
from leerrekening.models.catalogue import (
    Course,
    Provider,
    ProviderInvitation,
    ProviderMembership,
    ProviderQualityMark,
)
from leerrekening.models.checks import LedgerCheckRun
from leerrekening.models.deposits import (
    DepositBatch,
    DepositBatchChunk,
    DepositBatchLine,
    DepositScheme,
    TakeoverBatch,
    TakeoverLine,
)
from leerrekening.models.ledger import (
    Funder,
    LedgerAccount,
    Reservation,
    Tranche,
    TrancheMovement,
    Transfer,
)
from leerrekening.models.notifications import Notification

__all__ = [
    "ApprovalWithdrawal",
    "Booking",
    "ConfirmationAttempt",
    "ConfirmationLockout",
    "Course",
    "DepositBatch",
    "DepositBatchChunk",
    "DepositBatchLine",
    "DepositScheme",
    "Funder",
    "LedgerAccount",
    "LedgerCheckRun",
    "Notification",
    "OneTimeCode",
    "Provider",
    "ProviderInvitation",
    "ProviderMembership",
    "ProviderQualityMark",
    "Reservation",
    "TakeoverBatch",
    "TakeoverLine",
    "Tranche",
    "TrancheMovement",
    "Transfer",
]
