"""Two-phase spending: reserve a worker's budget for a provider, then post it (pay the provider)
or void it (back into the very tranches it came from)."""

from __future__ import annotations

import json
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
from leerrekening.ledger.core import checked_amount, refusal_raise, request_hash
from leerrekening.models import Provider, Reservation, Transfer

TransferKind = Transfer.Kind

# One round trip (see migration 0020): lock the worker's learning account and its escrow shard
# (LOCK_ORDER), then its spendable tranches (spending order: the one ending first), check the key
# and its request hash (ledger_reserve_request_hash, the SQL form of core.request_hash), check
# funds, and insert the transfer, its tranche movements and the reservation.
# Result columns: refusal (NULL, an error code, or accounts_missing), reservation_id,
# transfer_id, account_id, payee_id, available (the spendable sum when the refusal is
# insufficient_funds), replayed.
RESERVE_SQL = (
    "SELECT refusal, o_reservation, o_transfer, o_account, o_payee, available, replayed"
    " FROM ledger_reservation_create(%(worker)s, %(provider)s, %(amount)s, %(amount_text)s,"
    " %(cause)s, %(cause_json)s, %(key)s, %(shards)s, %(today)s, %(now)s)"
)
ACCOUNTS_MISSING = "accounts_missing"


def _reserve_call(*, worker: User, provider: Provider, amount: Decimal, key: str, cause: str):
    now = timezone.now()
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            RESERVE_SQL,
            {
                "worker": worker.pk,
                "provider": provider.pk,
                "amount": amount,
                "amount_text": str(amount),
                "cause": cause,
                "cause_json": json.dumps(cause),
                "key": key,
                "shards": reservation_shards(),
                "today": timezone.localdate(),
                "now": now,
            },
        )
        return now, cursor.fetchone()


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

    One round trip (RESERVE_SQL), whatever the transaction around it: a refusal writes nothing,
    and a concurrent call with the same key is waited for by the insert and then replayed or
    refused. `key_serialised` (the caller holds a lock that every use of this key waits for, as
    booking_create does) is accepted for the callers that say so; it changes nothing any more.
    """
    del key_serialised
    amount = checked_amount(amount)
    now, row = _reserve_call(
        worker=worker, provider=provider, amount=amount, key=idempotency_key, cause=cause
    )
    if row[0] == ACCOUNTS_MISSING:
        # Rare: a first reservation of the worker, a new escrow shard or a new provider. Open
        # what is missing (each at zero, once), then call again.
        reservations_account_for(account=account_for_worker(worker=worker))
        account_for_provider(provider=provider)
        now, row = _reserve_call(
            worker=worker, provider=provider, amount=amount, key=idempotency_key, cause=cause
        )
    refusal, reservation_id, transfer_id, account_id, payee_id, available, replayed = row
    refusal_raise(
        refusal,
        key=idempotency_key,
        account_id=account_id,
        available=available,
        requested=amount,
    )
    if replayed:
        return Reservation.objects.get(pk=reservation_id)
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
    if refusal == "reservation_missing":
        raise Reservation.DoesNotExist(f"reservation {reservation.pk} does not exist")
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
