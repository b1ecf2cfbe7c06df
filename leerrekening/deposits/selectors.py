"""Reads for funders and employers: what they may see of deposits, never of a worker's spending.

An employer sees its own deposits and batches, its prepaid balance and aggregate uptake: the share
of its deposits that workers booked, per quarter, shown only where at least MIN_GROUP workers
booked and at least MIN_GROUP did not, so nobody's spending can be inferred. Never an
individual worker's balance or bookings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from accounts.admin_scoping import is_coordinator, managed_employer_ids
from leerrekening.models import DepositBatch, Funder, Transfer

MIN_GROUP = 5


@dataclass(frozen=True)
class QuarterUptake:
    """One quarter's deposits of a funder and how many of their receivers booked with them.

    Shown only where at least MIN_GROUP workers spent and at least MIN_GROUP did not (DESIGN.md,
    "What an employer or fund must not be able to infer"): with fewer on either side, a crafted
    roster (5 workers of whom 4 spent, or 6 of whom 1 did not) would tell who did.
    """

    quarter: str  # "2026 K1"
    workers: int  # distinct workers who received a deposit (the funder knows this already)
    deposited: Decimal
    spenders: int | None  # None: suppressed
    used: Decimal | None  # None: suppressed

    @property
    def suppressed(self) -> bool:
        return self.used is None

    @property
    def percent(self) -> int | None:
        if self.used is None or not self.deposited:
            return None
        return round(100 * self.used / self.deposited)


def uptake_may_be_shown(*, workers: int, spenders: int) -> bool:
    return spenders >= MIN_GROUP and workers - spenders >= MIN_GROUP


def uptake_by_quarter(*, funder_ids: list[int]) -> dict[int, list[QuarterUptake]]:
    """Per funder and quarter of deposit: how many workers got the funder's deposits, how much,
    and (where it may be shown) how many of them booked with it and how much (reserved or paid,
    net of releases). One query, whatever the number of funders, deposits or bookings."""
    result: dict[int, list[QuarterUptake]] = {funder_id: [] for funder_id in funder_ids}
    if not funder_ids:
        return result
    sql = """
        WITH own AS (
            SELECT id, funder_id, account_id, amount,
                   date_trunc('quarter', created_at AT TIME ZONE %s)::date AS quarter
              FROM leerrekening_tranche WHERE funder_id = ANY(%s)
        ), used AS (
            SELECT m.tranche_id, -SUM(m.amount) AS amount
              FROM leerrekening_tranchemovement m
              JOIN own ON own.id = m.tranche_id
              JOIN leerrekening_transfer t ON t.id = m.transfer_id
             WHERE t.kind IN (%s, %s)
             GROUP BY m.tranche_id
        ), per_worker AS (
            SELECT own.funder_id, own.quarter, own.account_id, SUM(own.amount) AS deposited,
                   COALESCE(SUM(used.amount), 0) AS used
              FROM own LEFT JOIN used ON used.tranche_id = own.id
             GROUP BY own.funder_id, own.quarter, own.account_id
        )
        SELECT funder_id, quarter, COUNT(*), SUM(deposited),
               COUNT(*) FILTER (WHERE used > 0), SUM(used)
          FROM per_worker
         GROUP BY funder_id, quarter ORDER BY funder_id, quarter
    """
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                settings.TIME_ZONE,
                list(funder_ids),
                Transfer.Kind.RESERVATION,
                Transfer.Kind.RELEASE,
            ],
        )
        rows = cursor.fetchall()
    for funder_id, quarter, workers, deposited, spenders, used in rows:
        quarter_date: datetime.date = quarter
        label = f"{quarter_date.year} K{(quarter_date.month - 1) // 3 + 1}"
        shown = uptake_may_be_shown(workers=workers, spenders=spenders)
        result[funder_id].append(
            QuarterUptake(
                quarter=label,
                workers=workers,
                deposited=deposited,
                spenders=spenders if shown else None,
                used=used if shown else None,
            )
        )
    return result


def funder_uptake_by_quarter(*, funder: Funder) -> list[QuarterUptake]:
    """One funder's uptake per quarter of deposit (see uptake_by_quarter). One query."""
    return uptake_by_quarter(funder_ids=[funder.pk])[funder.pk]


def funders_of(user) -> QuerySet[Funder]:
    """Funders whose money `user` may deposit: all for coordinators, else their employers'."""
    if is_coordinator(user):
        return Funder.objects.all()
    return Funder.objects.filter(employer_id__in=managed_employer_ids(user))


def batches_of(user) -> QuerySet[DepositBatch]:
    if is_coordinator(user):
        return DepositBatch.objects.all()
    return DepositBatch.objects.filter(funder__employer_id__in=managed_employer_ids(user))
