"""Reads for the learning account (the catalogue's are in catalogue.selectors)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, QuerySet

from accounts.models import Employment, User
from leerportaal import prepared
from leerrekening.models import LedgerAccount, Reservation, Tranche, Transfer


def employments_of(*, worker: User) -> QuerySet[Employment]:
    return (
        Employment.objects.filter(worker=worker).select_related("employer").order_by("-start_date")
    )


# --- Ledger reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSummary:
    available: Decimal  # what the worker can spend now (the learning account's balance)
    reserved: Decimal  # held for bookings that have not started
    total: Decimal  # available + reserved


def summary_columns(*, account: str, open_param: str) -> str:
    """Two columns over learning account row `account` (a table alias): its balance (NULL when
    the worker has none yet) and what its open reservations hold (0 when none), in that order:
    summary_from_row() takes them. %(<open_param>)s must be Reservation.Status.OPEN.
    account_summary and the booking page (catalogue.selectors.booking_page) read them."""
    for name in (account, open_param):
        if not name.isidentifier():
            raise ValueError(f"not an alias: {name!r}")
    return (
        f"{account}.balance, COALESCE((SELECT sum(r.amount) FROM leerrekening_reservation r"  # noqa: S608
        f"  WHERE r.account_id = {account}.id AND r.status = %({open_param})s), 0)"
    )


def summary_from_row(balance: Decimal | None, reserved: Decimal | None) -> AccountSummary:
    available = balance if balance is not None else Decimal("0.00")
    reserved = reserved if reserved is not None else Decimal("0.00")
    return AccountSummary(available=available, reserved=reserved, total=available + reserved)


def account_summary(*, worker: User) -> AccountSummary:
    """Balance, reserved and available in one query (plain SQL: it is on every booking request,
    and building the ORM's aggregate cost more than running it)."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            f"SELECT {summary_columns(account='a', open_param='open')}"  # noqa: S608
            "  FROM leerrekening_ledgeraccount a WHERE a.worker_id = %(worker)s",
            {"open": Reservation.Status.OPEN, "worker": worker.pk},
        )
        row = cursor.fetchone()
    return summary_from_row(*(row or (None, None)))


def tranches_of(*, worker: User) -> QuerySet[Tranche]:
    """The worker's tranches with money left, in spending order (the one that ends first first)."""
    return (
        Tranche.objects.filter(account__worker=worker, spendable=True)
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


# One statement per page: the page's ids by keyset (two index scans of at most `limit` rows,
# whatever the account's history length), then per transfer its counterparty: the funder of the
# tranche it deposited, else the provider of the reservation it made or settled, else the other
# account's funder or kind. Built from constants only; every value is a parameter.
HISTORY_SQL = """
WITH page AS (
    SELECT id FROM (
        (SELECT id FROM leerrekening_transfer
          WHERE debit_account_id = %(account)s AND id < %(before)s ORDER BY id DESC LIMIT %(limit)s)
        UNION ALL
        (SELECT id FROM leerrekening_transfer
          WHERE credit_account_id = %(account)s AND id < %(before)s ORDER BY id DESC LIMIT %(limit)s)
    ) AS ids ORDER BY id DESC LIMIT %(limit)s
)
SELECT t.id, t.created_at, t.kind, t.amount, t.credit_account_id = %(account)s, t.cause,
       COALESCE(tranche_funder.name, reserved.name, settled.name, other_funder.name), other.kind
  FROM page
  JOIN leerrekening_transfer t ON t.id = page.id
  JOIN leerrekening_ledgeraccount other ON other.id = CASE WHEN t.credit_account_id = %(account)s
                                                           THEN t.debit_account_id
                                                           ELSE t.credit_account_id END
  LEFT JOIN leerrekening_funder other_funder ON other_funder.id = other.funder_id
  LEFT JOIN leerrekening_tranche tranche ON tranche.deposit_id = t.id
  LEFT JOIN leerrekening_funder tranche_funder ON tranche_funder.id = tranche.funder_id
  LEFT JOIN LATERAL (
      SELECT p.name FROM leerrekening_reservation r
        JOIN leerrekening_ledgeraccount payee ON payee.id = r.payee_id
        JOIN leerrekening_provider p ON p.id = payee.provider_id
       WHERE r.reserve_transfer_id = t.id) AS reserved ON t.kind = 'reservation'
  LEFT JOIN LATERAL (
      SELECT p.name FROM leerrekening_reservation r
        JOIN leerrekening_ledgeraccount payee ON payee.id = r.payee_id
        JOIN leerrekening_provider p ON p.id = payee.provider_id
       WHERE r.settle_transfer_id = t.id) AS settled ON t.kind IN ('release', 'payment')
 ORDER BY t.id DESC
"""
_TRANSFER_KINDS = dict(Transfer.Kind.choices)
_ACCOUNT_KINDS = dict(LedgerAccount.Kind.choices)


def account_history(
    *, account: LedgerAccount, before: int | None = None, limit: int = 20
) -> HistoryPage:
    """A page of an account's transfers, newest first, by keyset: one query whatever the
    account's history length."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            HISTORY_SQL,
            {"account": account.pk, "before": before or 2**62, "limit": limit + 1},
        )
        rows = cursor.fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    entries = [
        HistoryEntry(
            transfer_id=transfer_id,
            created_at=created_at,
            kind=kind,
            kind_label=str(_TRANSFER_KINDS.get(kind, kind)),
            amount=amount if incoming else -amount,
            counterparty=name if name is not None else str(_ACCOUNT_KINDS.get(other_kind, "")),
            cause=cause,
        )
        for transfer_id, created_at, kind, amount, incoming, cause, name, other_kind in rows
    ]
    return HistoryPage(entries=entries, next_before=rows[-1][0] if has_more else None)


def worker_history(*, worker: User, before: int | None = None, limit: int = 20) -> HistoryPage:
    account = LedgerAccount.objects.filter(worker=worker).first()
    if account is None:
        return HistoryPage(entries=[], next_before=None)
    return account_history(account=account, before=before, limit=limit)
