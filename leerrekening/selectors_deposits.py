"""Reads for funders and employers: what they may see of deposits, never of a worker's spending.

An employer sees its own deposits and batches, its prepaid balance and aggregate uptake: the share
of its deposits that workers booked, per quarter, hidden for groups under MIN_GROUP workers so
nobody's spending can be inferred. Never an individual worker's balance or bookings.
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
    quarter: str  # "2026 K1"
    workers: int
    deposited: Decimal
    used: Decimal | None  # None: suppressed (fewer than MIN_GROUP workers)

    @property
    def suppressed(self) -> bool:
        return self.used is None

    @property
    def percent(self) -> int | None:
        if self.used is None or not self.deposited:
            return None
        return round(100 * self.used / self.deposited)


def funder_uptake_by_quarter(*, funder: Funder) -> list[QuarterUptake]:
    """Per quarter of deposit: how many workers got this funder's deposits, how much, and how
    much of it they booked (reserved or paid, net of releases). One query."""
    sql = """
        WITH own AS (
            SELECT id, account_id, amount,
                   date_trunc('quarter', created_at AT TIME ZONE %s)::date AS quarter
              FROM leerrekening_tranche WHERE funder_id = %s
        ), used AS (
            SELECT m.tranche_id, -SUM(m.amount) AS amount
              FROM leerrekening_tranchemovement m
              JOIN own ON own.id = m.tranche_id
              JOIN leerrekening_transfer t ON t.id = m.transfer_id
             WHERE t.kind IN (%s, %s)
             GROUP BY m.tranche_id
        )
        SELECT own.quarter, COUNT(DISTINCT own.account_id), SUM(own.amount),
               COALESCE(SUM(used.amount), 0)
          FROM own LEFT JOIN used ON used.tranche_id = own.id
         GROUP BY own.quarter ORDER BY own.quarter
    """
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [settings.TIME_ZONE, funder.pk, Transfer.Kind.RESERVATION, Transfer.Kind.RELEASE],
        )
        rows = cursor.fetchall()
    result = []
    for quarter, workers, deposited, used in rows:
        quarter_date: datetime.date = quarter
        label = f"{quarter_date.year} K{(quarter_date.month - 1) // 3 + 1}"
        result.append(
            QuarterUptake(
                quarter=label,
                workers=workers,
                deposited=deposited,
                used=used if workers >= MIN_GROUP else None,
            )
        )
    return result


def funders_of(user) -> QuerySet[Funder]:
    """Funders whose money `user` may deposit: all for coordinators, else their employers'."""
    if is_coordinator(user):
        return Funder.objects.all()
    return Funder.objects.filter(employer_id__in=managed_employer_ids(user))


def batches_of(user) -> QuerySet[DepositBatch]:
    if is_coordinator(user):
        return DepositBatch.objects.all()
    return DepositBatch.objects.filter(funder__employer_id__in=managed_employer_ids(user))
