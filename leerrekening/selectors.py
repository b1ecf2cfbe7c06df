"""Reads for the learning account and the catalogue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q, QuerySet

from accounts.models import Employment, User
from leerportaal import prepared
from leerrekening.models import Course, LedgerAccount, Provider, Reservation, Tranche, Transfer


def employments_of(*, worker: User) -> QuerySet[Employment]:
    return (
        Employment.objects.filter(worker=worker).select_related("employer").order_by("-start_date")
    )


def providers_of(*, user: User) -> QuerySet[Provider]:
    """The providers this user works for (provider staff)."""
    return Provider.objects.filter(memberships__user=user)


def courses_of_providers(*, user: User) -> QuerySet[Course]:
    return Course.objects.filter(provider__memberships__user=user).select_related("provider")


# --- Ledger reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSummary:
    available: Decimal  # what the worker can spend now (the learning account's balance)
    reserved: Decimal  # held for bookings that have not started
    total: Decimal  # available + reserved


def account_summary(*, worker: User) -> AccountSummary:
    """Balance, reserved and available in one query (plain SQL: it is on every booking request,
    and building the ORM's aggregate cost more than running it)."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            "SELECT a.balance, COALESCE((SELECT sum(r.amount) FROM leerrekening_reservation r"
            "                             WHERE r.account_id = a.id AND r.status = %s), 0)"
            "  FROM leerrekening_ledgeraccount a WHERE a.worker_id = %s",
            [Reservation.Status.OPEN, worker.pk],
        )
        row = cursor.fetchone()
    available, reserved = row if row else (Decimal("0.00"), Decimal("0.00"))
    return AccountSummary(available=available, reserved=reserved, total=available + reserved)


def tranches_of(*, worker: User) -> QuerySet[Tranche]:
    """The worker's tranches with money left, in spending order (the one that ends first first)."""
    return (
        Tranche.objects.filter(account__worker=worker, remaining__gt=0)
        .select_related("funder")
        .order_by(F("ends_on").asc(nulls_last=True), "id")
    )


def tranches_by_funder(*, worker: User) -> list[dict]:
    """Per funder: what is left and the tranches, for "who put in which part and what ends when"."""
    groups: dict[int, dict] = {}
    for tranche in tranches_of(worker=worker):
        group = groups.setdefault(
            tranche.funder_id, {"funder": tranche.funder, "remaining": Decimal("0"), "tranches": []}
        )
        group["remaining"] += tranche.remaining
        group["tranches"].append(tranche)
    return sorted(groups.values(), key=lambda g: g["funder"].name)


@dataclass(frozen=True)
class HistoryEntry:
    transfer_id: int
    created_at: datetime.datetime
    kind: str
    kind_label: str
    amount: Decimal  # + into the account, - out of it
    counterparty: str
    cause: str


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    next_before: int | None  # pass as `before` for the next (older) page


HISTORY_SQL = """
SELECT * FROM (
    (SELECT id FROM leerrekening_transfer WHERE debit_account_id = %(account)s AND id < %(before)s
      ORDER BY id DESC LIMIT %(limit)s)
    UNION ALL
    (SELECT id FROM leerrekening_transfer WHERE credit_account_id = %(account)s AND id < %(before)s
      ORDER BY id DESC LIMIT %(limit)s)
) AS page ORDER BY id DESC LIMIT %(limit)s
"""


def account_history(
    *, account: LedgerAccount, before: int | None = None, limit: int = 20
) -> HistoryPage:
    """A page of an account's transfers, newest first, by keyset: two index scans of at most
    `limit` rows, then three queries for the page whatever the account's history length."""
    with connection.cursor() as cursor:
        cursor.execute(
            HISTORY_SQL, {"account": account.pk, "before": before or 2**62, "limit": limit + 1}
        )
        ids = [row[0] for row in cursor.fetchall()]
    has_more = len(ids) > limit
    ids = ids[:limit]
    transfers = list(
        Transfer.objects.filter(pk__in=ids)
        .select_related("tranche__funder", "debit_account__funder", "credit_account__funder")
        .order_by("-id")
    )
    reservation_ids = [t.pk for t in transfers if t.kind in {"reservation", "release", "payment"}]
    providers = {}
    if reservation_ids:
        for reservation in Reservation.objects.filter(
            Q(reserve_transfer_id__in=reservation_ids) | Q(settle_transfer_id__in=reservation_ids)
        ).select_related("payee__provider"):
            providers[reservation.reserve_transfer_id] = reservation.payee.provider
            if reservation.settle_transfer_id:
                providers[reservation.settle_transfer_id] = reservation.payee.provider
    entries = []
    for transfer in transfers:
        incoming = transfer.credit_account_id == account.pk
        counterparty = ""
        if hasattr(transfer, "tranche"):
            counterparty = transfer.tranche.funder.name
        elif transfer.pk in providers:
            counterparty = providers[transfer.pk].name
        else:
            other = transfer.debit_account if incoming else transfer.credit_account
            counterparty = other.funder.name if other.funder_id else other.get_kind_display()
        entries.append(
            HistoryEntry(
                transfer_id=transfer.pk,
                created_at=transfer.created_at,
                kind=transfer.kind,
                kind_label=transfer.get_kind_display(),
                amount=transfer.amount if incoming else -transfer.amount,
                counterparty=counterparty,
                cause=transfer.cause,
            )
        )
    return HistoryPage(entries=entries, next_before=ids[-1] if has_more else None)


def worker_history(*, worker: User, before: int | None = None, limit: int = 20) -> HistoryPage:
    account = LedgerAccount.objects.filter(worker=worker).first()
    if account is None:
        return HistoryPage(entries=[], next_before=None)
    return account_history(account=account, before=before, limit=limit)
