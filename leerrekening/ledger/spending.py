"""Two-phase spending: reserve a worker's budget for a provider, then post it (pay the provider)
or void it (back into the very tranches it came from)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import User
from leerportaal import prepared
from leerrekening.ledger.accounts import (
    account_for_provider,
    account_for_worker,
    reservation_shards,
    reservations_account_for,
)
from leerrekening.ledger.core import (
    LOCK_ORDER,
    checked_amount,
    idempotent,
    refusal_raise,
    request_hash,
)
from leerrekening.ledger.errors import IdempotencyConflict, InsufficientFunds
from leerrekening.models import LedgerAccount, Provider, Reservation, Tranche, Transfer

Kind = LedgerAccount.Kind
TransferKind = Transfer.Kind

# The account's tranches that may be spent, and the order they are spent in (the one ending first).
# A tranche past its end date that goes back to its funder is no longer spendable, even before
# the expiry task has moved it.
SPENDING_ORDER = "ends_on ASC NULLS LAST, id"
_SPENDABLE = (
    "account_id = (SELECT id FROM leerrekening_ledgeraccount WHERE worker_id = %(worker)s)"
    " AND spendable AND (ends_on IS NULL OR ends_on >= %(today)s OR at_end = %(keep)s)"
)
# The worker's learning account and its escrow shard. The kind is written into the SQL, not
# passed: only then can the prepared statement's generic plan use the partial index on
# (kind, shard) for the system accounts. With a parameter it could not, so PostgreSQL planned
# the query afresh on every booking (~0.2 ms, measured with pg_prepared_statements'
# custom_plans) to avoid a generic plan that scans every account.
_WORKER_AND_ESCROW = (
    "SELECT w.id AS account, r.id AS escrow FROM leerrekening_ledgeraccount w"  # noqa: S608
    f"  LEFT JOIN leerrekening_ledgeraccount r ON r.kind = '{Kind.RESERVATIONS.value}'"
    "   AND r.shard = w.id %% %(shards)s"
    " WHERE w.worker_id = %(worker)s"
)
# One round trip, three statements, each seeing what committed before it ran: lock the worker's
# account and its escrow shard (LOCK_ORDER), then the spendable tranches (spending order), then
# read the accounts, the key and the locked tranches.
_RESERVE_LOCK_AND_READ = [
    "SELECT 1 FROM leerrekening_ledgeraccount"  # noqa: S608 — constant SQL, no input in it
    f" WHERE id IN (SELECT unnest(ARRAY[a.account, a.escrow]) FROM ({_WORKER_AND_ESCROW}) a)"
    f" ORDER BY {LOCK_ORDER} FOR UPDATE",
    f"SELECT 1 FROM leerrekening_tranche WHERE {_SPENDABLE}"  # noqa: S608
    f" ORDER BY {SPENDING_ORDER} FOR UPDATE",
    "SELECT a.account, a.escrow, p.id, t.id, t.request_hash, s.ids, s.remaining"  # noqa: S608
    f"   FROM (SELECT array_agg(id ORDER BY {SPENDING_ORDER}) AS ids,"
    f"                array_agg(remaining ORDER BY {SPENDING_ORDER}) AS remaining"
    f"           FROM leerrekening_tranche WHERE {_SPENDABLE}) AS s"
    f"   LEFT JOIN ({_WORKER_AND_ESCROW}) a ON true"
    "   LEFT JOIN leerrekening_ledgeraccount p ON p.provider_id = %(provider)s"
    "   LEFT JOIN leerrekening_transfer t ON t.idempotency_key = %(key)s",
]
# The transfer, its tranche movements and the reservation in one statement; the balance and
# remainder triggers run at its end, as for separate inserts.
_RESERVE_INSERT = (
    "WITH transfer AS ("
    "  INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount,"
    "   kind, idempotency_key, request_hash, cause, reverses_id, created_at)"
    "  VALUES (%(account)s, %(escrow)s, %(amount)s, %(kind)s, %(key)s, %(hash)s,"
    "   %(cause)s, NULL, %(now)s) RETURNING id),"
    " movements AS ("
    "  INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)"
    "  SELECT transfer.id, m.tranche_id, m.amount FROM transfer,"
    "   unnest(%(tranches)s::bigint[], %(takes)s::numeric[]) AS m(tranche_id, amount))"
    " INSERT INTO leerrekening_reservation (account_id, payee_id, amount, status,"
    "  reserve_transfer_id, settle_transfer_id, cause, created_at, settled_at)"
    " SELECT %(account)s, %(payee)s, %(amount)s, %(open)s, transfer.id, NULL, %(cause)s,"
    "  %(now)s, NULL FROM transfer RETURNING id, reserve_transfer_id"
)


def _reserve_lock_and_read(
    cursor, *, worker: User, provider: Provider, key: str, today: datetime.date
) -> tuple:
    """_RESERVE_LOCK_AND_READ: (account, escrow, payee, existing transfer, its request hash,
    spendable tranche ids, their remainders); an account that does not exist yet is None."""
    prepared.execute(
        cursor,
        _RESERVE_LOCK_AND_READ,
        {
            "worker": worker.pk,
            "shards": reservation_shards(),
            "provider": provider.pk,
            "today": today,
            "keep": Tranche.AtEnd.KEEP,
            "key": key,
        },
    )
    return cursor.fetchone()


def _takes(tranches: list[tuple[int, Decimal]], amount: Decimal) -> list[tuple[int, Decimal]]:
    """What to take from each tranche, in spending order, to make `amount` (as movements)."""
    movements, left = [], amount
    for tranche_id, remaining in tranches:
        take = min(remaining, left)
        movements.append((tranche_id, -take))
        left -= take
        if left == 0:
            break
    return movements


def _reserve(
    *,
    worker: User,
    provider: Provider,
    amount: Decimal,
    idempotency_key: str,
    cause: str,
) -> Reservation:
    amount = checked_amount(amount)
    today = timezone.localdate()
    with connection.cursor() as cursor:
        row = _reserve_lock_and_read(
            cursor, worker=worker, provider=provider, key=idempotency_key, today=today
        )
        if None in row[:3]:
            # Rare: a first reservation of the worker, a new escrow shard or a new provider.
            # Open what is missing (each at zero, once), then lock and read again. The worker's
            # account, if it existed, was locked first all the same; so was it for every other
            # booking of this worker, which therefore waits.
            reservations_account_for(account=account_for_worker(worker=worker))
            account_for_provider(provider=provider)
            row = _reserve_lock_and_read(
                cursor, worker=worker, provider=provider, key=idempotency_key, today=today
            )
        account_id, escrow_id, payee_id, existing, existing_hash, tranche_ids, remainders = row
        hashed = request_hash(
            op="reserve", account=account_id, payee=payee_id, amount=amount, cause=cause
        )
        if existing is not None:
            if existing_hash != hashed:
                raise IdempotencyConflict(idempotency_key)
            return Reservation.objects.get(reserve_transfer_id=existing)
        tranches = list(zip(tranche_ids or [], remainders or [], strict=True))
        spendable = sum((remaining for _, remaining in tranches), Decimal("0"))
        if spendable < amount:
            raise InsufficientFunds(account_id=account_id, available=spendable, requested=amount)
        movements = _takes(tranches, amount)
        now = timezone.now()
        prepared.execute(
            cursor,
            _RESERVE_INSERT,
            {
                "account": account_id,
                "escrow": escrow_id,
                "payee": payee_id,
                "amount": amount,
                "kind": TransferKind.RESERVATION,
                "key": idempotency_key,
                "hash": hashed,
                "cause": cause,
                "now": now,
                "tranches": [tranche_id for tranche_id, _ in movements],
                "takes": [take for _, take in movements],
                "open": Reservation.Status.OPEN,
            },
        )
        reservation_id, transfer_id = cursor.fetchone()
    return Reservation(
        pk=reservation_id,
        account_id=account_id,
        payee_id=payee_id,
        amount=amount,
        status=Reservation.Status.OPEN,
        reserve_transfer_id=transfer_id,
        cause=cause,
        created_at=now,
    )


def reservation_create(
    *,
    worker: User,
    provider: Provider,
    amount: Decimal,
    idempotency_key: str,
    cause: str = "",
    key_serialised: bool = False,
) -> Reservation:
    """Reserve `amount` of the worker's budget for a provider (worker -> reservations), taken from
    the tranches that end first. Raises InsufficientFunds, IdempotencyConflict.

    `key_serialised`: the caller holds a lock that every use of this key waits for (booking_create
    holds the worker's row, and the key names the booking it makes), so no concurrent call can
    win the key, and the savepoint that `idempotent` keeps for that race is left out. The key is
    still checked: a replay returns the first reservation.
    """
    reserve = _reserve if key_serialised else idempotent(_reserve)
    return reserve(
        worker=worker,
        provider=provider,
        amount=amount,
        idempotency_key=idempotency_key,
        cause=cause,
    )


# One round trip (see migration 0020): lock the escrow shard and the target account
# (LOCK_ORDER), then the reservation; check the key; insert the payment or release (a release
# with its movements back into the reservation's tranches, locked by id); mark it settled.
# Result columns: refusal (NULL or an error code), transfer_id, replayed, status (the
# reservation's status: now, or the one that refused).
SETTLE_SQL = (
    "SELECT refusal, transfer_id, replayed, status FROM ledger_reservation_settle("
    "%(reservation)s, %(post)s, %(key)s, %(hash)s, %(kind)s, %(now)s)"
)


def _settle(*, reservation: Reservation, idempotency_key: str, post: bool) -> Reservation:
    op = "post" if post else "void"
    hashed = request_hash(op=op, reservation=reservation.pk)
    now = timezone.now()
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            SETTLE_SQL,
            {
                "reservation": reservation.pk,
                "post": post,
                "key": idempotency_key,
                "hash": hashed,
                "kind": TransferKind.PAYMENT if post else TransferKind.RELEASE,
                "now": now,
            },
        )
        refusal, transfer_id, replayed, status = cursor.fetchone()
    refusal_raise(refusal, key=idempotency_key, reservation_id=reservation.pk, status=status)
    if replayed:
        return Reservation.objects.get(pk=reservation.pk)
    return Reservation(
        pk=reservation.pk,
        account_id=reservation.account_id,
        payee_id=reservation.payee_id,
        amount=reservation.amount,
        status=status,
        reserve_transfer_id=reservation.reserve_transfer_id,
        settle_transfer_id=transfer_id,
        cause=reservation.cause,
        created_at=reservation.created_at,
        settled_at=now,
    )


def reservation_post(*, reservation: Reservation, idempotency_key: str) -> Reservation:
    """The provider declared the start: reservations -> the provider's payable account.
    Raises ReservationAlreadySettled (voided or posted under another key), IdempotencyConflict."""
    return _settle(reservation=reservation, idempotency_key=idempotency_key, post=True)


def reservation_void(*, reservation: Reservation, idempotency_key: str) -> Reservation:
    """Cancel before the start: the reservation goes back in full to the worker, into the tranches
    it came from. Raises ReservationAlreadySettled, IdempotencyConflict."""
    return _settle(reservation=reservation, idempotency_key=idempotency_key, post=False)
