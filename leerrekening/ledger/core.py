"""The ledger's core: the lock order, amount checking, request hashing, idempotency, and the one
database round trip that makes a plain transfer.

LOCK_ORDER: learning accounts first, then every other account, each by ascending id (then
tranches by id, then the reservation), so crossing transfers cannot deadlock. Learning accounts
come first because a deposit chunk locks thousands of them and leaves the funder's row to the
balance trigger at the end of its insert (so chunks of one funder overlap). The database
functions of migration 0020 (ledger_transfer_create, ledger_reservation_settle) lock in the same
order.

A refusal found under the locks (a key used for another request, not enough money, a settled
reservation) comes back from those functions as a row with the error's code, not as a database
error: nothing was written, so the caller's transaction goes on, and `refusal_raise` turns the
code into the same Python exception as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import wraps

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from leerrekening.ledger.accounts import account_for_funder, external_account
from leerrekening.ledger.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    OperationNotAllowed,
    ReservationAlreadySettled,
)
from leerrekening.models import Funder, LedgerAccount, Reservation, Transfer

CENT = Decimal("0.01")
Kind = LedgerAccount.Kind
TransferKind = Transfer.Kind

# Accounts that hold money of a person or organisation and so can never go below zero.
NON_NEGATIVE = {Kind.WORKER, Kind.FUNDER, Kind.RESERVATIONS, Kind.PROVIDER}
NON_NEGATIVE_KINDS = sorted(str(kind) for kind in NON_NEGATIVE)  # as the database functions take it
# The order in which accounts are locked, everywhere (see the module docstring).
LOCK_ORDER = "(kind <> 'worker'), id"
# Transfers between two accounts that are neither a learning account nor the reservations.
PLAIN_KINDS = {TransferKind.FUNDING, TransferKind.PAYOUT, TransferKind.CORRECTION}


def checked_amount(amount: Decimal | str | int) -> Decimal:
    if isinstance(amount, float):
        raise InvalidAmount("amounts are Decimal, never float")
    value = Decimal(amount)
    if value != value.quantize(CENT):
        raise InvalidAmount(f"€ {amount} has more than two decimals")
    if value <= 0:
        raise InvalidAmount(f"€ {amount} is not a positive amount")
    return value.quantize(CENT)


def request_hash(**content) -> str:
    """What an idempotency key is checked against: a hash of the request's content."""
    payload = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def lock_accounts(cursor, account_ids: Iterable[int]) -> dict[int, tuple[str, Decimal]]:
    """Lock the accounts in LOCK_ORDER (LockRows runs above the sort); (kind, balance) by id."""
    cursor.execute(
        "SELECT id, kind, balance FROM leerrekening_ledgeraccount "  # noqa: S608 — constants only
        f"WHERE id = ANY(%s) ORDER BY {LOCK_ORDER} FOR UPDATE",
        [sorted(set(account_ids))],
    )
    return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def existing_transfer(cursor, key: str, hashed: str) -> int | None:
    """The id of the transfer already made with this key, or None; a different request conflicts."""
    cursor.execute(
        "SELECT id, request_hash FROM leerrekening_transfer WHERE idempotency_key = %s", [key]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    if row[1] != hashed:
        raise IdempotencyConflict(key)
    return row[0]


def check_funds(locked: dict[int, tuple[str, Decimal]], account_id: int, amount: Decimal) -> None:
    kind, balance = locked[account_id]
    if kind in NON_NEGATIVE and balance < amount:
        raise InsufficientFunds(account_id=account_id, available=balance, requested=amount)


def refusal_raise(
    code: str | None,
    *,
    key: str,
    account_id: int | None = None,
    available: Decimal | None = None,
    requested: Decimal | None = None,
    reservation_id: int | None = None,
    status: str | None = None,
) -> None:
    """Raise the exception for a refusal code returned by a ledger database function."""
    if code is None:
        return
    if code == IdempotencyConflict.code:
        raise IdempotencyConflict(key)
    if code == InsufficientFunds.code:
        raise InsufficientFunds(account_id=account_id, available=available, requested=requested)
    if code == ReservationAlreadySettled.code:
        label = Reservation.Status(status).label
        raise ReservationAlreadySettled(f"reservation {reservation_id} is already {label.lower()}")
    raise ValueError(f"unknown ledger refusal {code!r}")


def insert_transfer(
    cursor,
    *,
    debit_id: int,
    credit_id: int,
    amount: Decimal,
    kind: str,
    key: str,
    hashed: str,
    cause: str = "",
    reverses_id: int | None = None,
) -> int:
    cursor.execute(
        "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,"
        " idempotency_key, request_hash, cause, reverses_id, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [debit_id, credit_id, amount, kind, key, hashed, cause, reverses_id, timezone.now()],
    )
    return cursor.fetchone()[0]


def insert_movements(cursor, transfer_id: int, movements: Sequence[tuple[int, Decimal]]) -> None:
    if not movements:
        return
    from psycopg2.extras import execute_values

    execute_values(
        cursor,
        "INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount) VALUES %s",
        [(transfer_id, tranche_id, amount) for tranche_id, amount in movements],
    )


def is_key_violation(exc: IntegrityError) -> bool:
    return "idempotency_key" in str(exc)


def idempotent(fn):
    """Run `fn` atomically; if a concurrent call with the same key won the race (unique
    violation on the key), run it once more: it then finds that call's result and replays it."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except IntegrityError as exc:
            if not is_key_violation(exc):
                raise
            with transaction.atomic():
                return fn(*args, **kwargs)

    return wrapper


# One round trip, whatever the transaction around it (one statement commits on its own in
# autocommit; inside a transaction a refusal writes nothing, so no savepoint is needed).
# Result columns: refusal (NULL, or an error code), transfer_id (new or replayed), replayed,
# available (the debit's balance when the refusal is insufficient_funds).
TRANSFER_CREATE_SQL = (
    "SELECT refusal, transfer_id, replayed, available FROM ledger_transfer_create("  # noqa: S608
    "%(debit)s, %(credit)s, %(amount)s, %(kind)s, %(key)s, %(hash)s, %(cause)s,"
    f" ARRAY[{', '.join(repr(kind) for kind in NON_NEGATIVE_KINDS)}], %(now)s)"
)


def transfer_create(
    *,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: Decimal,
    kind: str,
    idempotency_key: str,
    cause: str = "",
) -> Transfer:
    """Move `amount` between two accounts that are neither a learning account nor the
    reservations account (those move only through deposits, reservations and expiry, which keep
    tranches and reservations in step). Raises InsufficientFunds, IdempotencyConflict.

    One database round trip: ledger_transfer_create locks both accounts (LOCK_ORDER), checks the
    key and its request hash, checks funds and inserts (the balance trigger updates both)."""
    amount = checked_amount(amount)
    if kind not in PLAIN_KINDS:
        raise OperationNotAllowed(f"a {kind} transfer has its own service function")
    if {debit.kind, credit.kind} & {Kind.WORKER, Kind.RESERVATIONS}:
        raise OperationNotAllowed(
            "learning accounts and reservations move only by deposit, reservation or expiry"
        )
    hashed = request_hash(
        op="transfer", debit=debit.pk, credit=credit.pk, amount=amount, kind=kind, cause=cause
    )
    with connection.cursor() as cursor:
        # Sent as text, not prepared: for this one-line call PREPARE/EXECUTE costs the client
        # more than PostgreSQL spends parsing it (measured).
        cursor.execute(
            TRANSFER_CREATE_SQL,
            {
                "debit": debit.pk,
                "credit": credit.pk,
                "amount": amount,
                "kind": kind,
                "key": idempotency_key,
                "hash": hashed,
                "cause": cause,
                "now": timezone.now(),
            },
        )
        refusal, transfer_id, replayed, available = cursor.fetchone()
    refusal_raise(
        refusal, key=idempotency_key, account_id=debit.pk, available=available, requested=amount
    )
    if replayed:
        return Transfer.objects.get(pk=transfer_id)
    return Transfer(
        pk=transfer_id,
        debit_account=debit,
        credit_account=credit,
        amount=amount,
        kind=kind,
        idempotency_key=idempotency_key,
        request_hash=hashed,
        cause=cause,
    )


def funding_record(
    *, funder: Funder, amount: Decimal, idempotency_key: str, reference: str = ""
) -> Transfer:
    """A funder's payment arrived at the bank: external -> the funder's prepaid account."""
    return transfer_create(
        debit=external_account(),
        credit=account_for_funder(funder=funder),
        amount=amount,
        kind=TransferKind.FUNDING,
        idempotency_key=idempotency_key,
        cause=reference,
    )
