"""Corrections: a transfer is never changed, it is undone by a new, opposite one."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from leerrekening.ledger.core import (
    PLAIN_KINDS,
    check_funds,
    existing_transfer,
    idempotent,
    insert_movements,
    insert_transfer,
    lock_accounts,
    request_hash,
)
from leerrekening.ledger.errors import InsufficientFunds, OperationNotAllowed
from leerrekening.models import Transfer

TransferKind = Transfer.Kind


@idempotent
def transfer_reverse(*, transfer: Transfer, idempotency_key: str, reason: str) -> Transfer:
    """Undo a transfer by a new, opposite one (the original stays). Deposits are reversed out of
    their own tranche, as far as it is unspent; reservations and payments are undone by voiding,
    not here. Raises InsufficientFunds, OperationNotAllowed, IdempotencyConflict."""
    if transfer.kind not in {TransferKind.DEPOSIT, *PLAIN_KINDS}:
        raise OperationNotAllowed(f"a {transfer.kind} transfer is not reversed by a correction")
    hashed = request_hash(op="reverse", transfer=transfer.pk, reason=reason)
    with connection.cursor() as cursor:
        locked = lock_accounts(cursor, [transfer.debit_account_id, transfer.credit_account_id])
        existing = existing_transfer(cursor, idempotency_key, hashed)
        if existing is not None:
            return Transfer.objects.get(pk=existing)
        if Transfer.objects.filter(reverses=transfer).exists():
            raise OperationNotAllowed(f"transfer {transfer.pk} was already reversed")
        movements: list[tuple[int, Decimal]] = []
        if transfer.kind == TransferKind.DEPOSIT:
            cursor.execute(
                "SELECT id, remaining FROM leerrekening_tranche WHERE deposit_id = %s FOR UPDATE",
                [transfer.pk],
            )
            tranche_id, remaining = cursor.fetchone()
            if remaining < transfer.amount:
                raise InsufficientFunds(
                    account_id=transfer.credit_account_id,
                    available=remaining,
                    requested=transfer.amount,
                )
            movements = [(tranche_id, -transfer.amount)]
        else:
            check_funds(locked, transfer.credit_account_id, transfer.amount)
        reversal_id = insert_transfer(
            cursor,
            debit_id=transfer.credit_account_id,
            credit_id=transfer.debit_account_id,
            amount=transfer.amount,
            kind=TransferKind.CORRECTION,
            key=idempotency_key,
            hashed=hashed,
            cause=f"reverses:{transfer.pk} {reason}"[:200],
            reverses_id=transfer.pk,
        )
        insert_movements(cursor, reversal_id, movements)
    return Transfer.objects.get(pk=reversal_id)
