"""Expiry: a tranche past its end date closes; what is left goes back to its funder or stays
with the worker, as its scheme says. The ledger reports what expired; the notifications service
words the notices (leerrekening.services.notifications)."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from leerrekening.ledger.accounts import account_for_funder
from leerrekening.ledger.core import (
    existing_transfer,
    idempotent,
    insert_movements,
    insert_transfer,
    lock_accounts,
    request_hash,
)
from leerrekening.models import Tranche, Transfer

logger = logging.getLogger(__name__)
TransferKind = Transfer.Kind


@dataclass
class ExpiryReport:
    expired: int = 0
    returned: Decimal = Decimal("0")
    kept: int = 0
    notices: int = 0


@idempotent
def tranche_expire(*, tranche_id: int) -> Transfer | None:
    """Close a tranche past its end date: what is left goes back to the funder, or stays with the
    worker where the scheme says so. Idempotent: a closed tranche is left alone."""
    from leerrekening.services.notifications import tranche_expired_notify

    tranche = Tranche.objects.select_related("account", "funder").get(pk=tranche_id)
    funder_account = account_for_funder(funder=tranche.funder)
    key = f"expiry:tranche:{tranche.pk}"
    hashed = request_hash(op="expire", tranche=tranche.pk)
    with connection.cursor() as cursor:
        lock_accounts(cursor, [tranche.account_id, funder_account.pk])
        cursor.execute(
            "SELECT remaining, ended_at FROM leerrekening_tranche WHERE id = %s FOR UPDATE",
            [tranche.pk],
        )
        remaining, ended_at = cursor.fetchone()
        if ended_at is not None:
            return None
        transfer = None
        if tranche.at_end == Tranche.AtEnd.RETURN_TO_FUNDER and remaining > 0:
            existing = existing_transfer(cursor, key, hashed)
            if existing is None:
                transfer_id = insert_transfer(
                    cursor,
                    debit_id=tranche.account_id,
                    credit_id=funder_account.pk,
                    amount=remaining,
                    kind=TransferKind.EXPIRY,
                    key=key,
                    hashed=hashed,
                    cause=f"tranche:{tranche.pk}",
                )
                insert_movements(cursor, transfer_id, [(tranche.pk, -remaining)])
                transfer = Transfer.objects.get(pk=transfer_id)
    Tranche.objects.filter(pk=tranche.pk).update(ended_at=timezone.now())
    if transfer is not None:
        tranche_expired_notify(tranche=tranche, amount=transfer.amount)
    return transfer


NOTICE_DAYS = (90, 14)


def expire_tranches(*, today: datetime.date | None = None) -> ExpiryReport:
    """Daily: announce tranches ending within 90 and 14 days, and close those past their end date.

    Each tranche is its own transaction, so one failure does not hold up the rest, and a re-run
    (beat fires twice, a worker died) finds closed tranches closed and notices already sent.
    """
    from leerrekening.services.notifications import expiry_notices_send

    today = today or timezone.localdate()
    report = ExpiryReport()
    report.notices = expiry_notices_send(today=today, days=NOTICE_DAYS)
    due = Tranche.objects.filter(ended_at__isnull=True, ends_on__lt=today).values_list(
        "pk", "at_end"
    )
    for tranche_id, at_end in due.iterator(chunk_size=1000):
        transfer = tranche_expire(tranche_id=tranche_id)
        report.expired += 1
        if transfer is not None:
            report.returned += transfer.amount
        elif at_end == Tranche.AtEnd.KEEP:
            report.kept += 1
    logger.info(
        "expire_tranches %s: %s closed, € %s returned, %s kept, %s notices",
        today,
        report.expired,
        report.returned,
        report.kept,
        report.notices,
    )
    return report
