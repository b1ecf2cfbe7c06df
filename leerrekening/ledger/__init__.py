"""The one package through which all money moves: `from leerrekening import ledger`.

Every operation runs in one database transaction and locks the ledger accounts it touches in
one fixed order (core.LOCK_ORDER), so crossing transfers cannot deadlock; takes an idempotency
key (the same key with the same content returns the first result and moves nothing; with other
content it raises IdempotencyConflict); and checks funds under the locks for a clear error, while
the database's CHECK constraints, triggers and unique keys stay the last line of defence (see
leerrekening/models/ledger.py).

- errors: the ledger's domain errors and their codes
- accounts: system accounts and the accounts of workers, funders and providers
- core: lock order, amounts, request hashing, idempotency; plain transfers (one round trip)
- deposits: funder -> learning accounts, one line or thousands
- spending: reserve, post, void (settling in one round trip)
- corrections: reversing a transfer
- expiry: closing tranches past their end date
"""

from leerrekening.ledger.accounts import (
    account_for_funder,
    account_for_provider,
    account_for_worker,
    accounts_for_workers,
    external_account,
    reservation_shards,
    reservations_account,
    reservations_account_for,
    reserved_total,
)
from leerrekening.ledger.core import (
    LOCK_ORDER,
    NON_NEGATIVE,
    PLAIN_KINDS,
    checked_amount,
    funding_record,
    lock_accounts,
    request_hash,
    transfer_create,
)
from leerrekening.ledger.corrections import transfer_reverse
from leerrekening.ledger.deposits import (
    DEPOSIT_LINE_COLUMNS,
    DepositLine,
    DepositLinesQuery,
    DepositResult,
    deposit_create,
    deposit_lines_query,
    deposit_request_hash,
    deposits_create,
)
from leerrekening.ledger.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
    OperationNotAllowed,
    ReservationAlreadySettled,
)
from leerrekening.ledger.expiry import NOTICE_DAYS, ExpiryReport, expire_tranches, tranche_expire
from leerrekening.ledger.spending import reservation_create, reservation_post, reservation_void

__all__ = [
    "DEPOSIT_LINE_COLUMNS",
    "LOCK_ORDER",
    "NON_NEGATIVE",
    "NOTICE_DAYS",
    "PLAIN_KINDS",
    "DepositLine",
    "DepositLinesQuery",
    "DepositResult",
    "ExpiryReport",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidAmount",
    "LedgerError",
    "OperationNotAllowed",
    "ReservationAlreadySettled",
    "account_for_funder",
    "account_for_provider",
    "account_for_worker",
    "accounts_for_workers",
    "checked_amount",
    "deposit_create",
    "deposit_lines_query",
    "deposit_request_hash",
    "deposits_create",
    "expire_tranches",
    "external_account",
    "funding_record",
    "lock_accounts",
    "request_hash",
    "reservation_create",
    "reservation_post",
    "reservation_shards",
    "reservation_void",
    "reservations_account",
    "reservations_account_for",
    "reserved_total",
    "tranche_expire",
    "transfer_create",
    "transfer_reverse",
]
