"""Reads for the worker's portal pages: notifications, the balance over time and its chart, the
funders' shares and the worker's own data export. Bookings' reads are in bookings.selectors, the
catalogue's in catalogue.selectors.
"""

from __future__ import annotations

import datetime
import itertools
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from leerportaal import prepared
from leerrekening import selectors
from leerrekening.bookings.selectors import bookings_of
from leerrekening.models import LedgerAccount, Notification, Transfer

logger = logging.getLogger(__name__)


def notifications_of(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


@dataclass(frozen=True)
class BalancePoint:
    day: datetime.date
    balance: Decimal


# The account's version: the version of its row (xmin: every transfer that touches the account
# updates its balance in the transaction that makes it, so it changes when one commits) and its
# newest transfer on each side (which changes within one transaction too). Two backward index
# scans of one row each. `a` is the account's row.
ACCOUNT_VERSION_SQL = (
    "a.xmin::text"
    " || ':' || coalesce((SELECT max(id) FROM leerrekening_transfer WHERE debit_account_id = a.id), 0)"
    " || ':' || coalesce((SELECT max(id) FROM leerrekening_transfer WHERE credit_account_id = a.id), 0)"
)
# One statement, so the balance, the version and the days come from one snapshot. The days
# before the window are not read: the balance before it is the balance minus everything since.
# Built from constants only.
BALANCE_SQL = f"""
WITH account AS (
    SELECT a.id, a.balance, {ACCOUNT_VERSION_SQL} AS version
      FROM leerrekening_ledgeraccount a WHERE a.id = %(account)s
), legs AS (
    SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, amount FROM leerrekening_transfer
     WHERE credit_account_id = %(account)s AND created_at >= %(since)s
    UNION ALL
    SELECT (created_at AT TIME ZONE %(tz)s)::date, -amount FROM leerrekening_transfer
     WHERE debit_account_id = %(account)s AND created_at >= %(since)s
), days AS (
    SELECT day, SUM(amount) AS delta FROM legs GROUP BY day
), running AS (
    SELECT day,
           SUM(delta) OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sum,
           SUM(delta) OVER () AS total
      FROM days
)
SELECT account.balance, account.version, running.day, running.sum, running.total
  FROM account LEFT JOIN running ON true
 ORDER BY running.day
"""  # noqa: S608
BALANCE_CACHE_SECONDS = 24 * 60 * 60


def balance_over_time(*, worker: User, days: int = 365) -> list[BalancePoint]:
    """The available balance at the end of each day with a movement, over the last `days` days.

    Reading the year's transfers grows with the history, so the answer is cached under the
    account's version (ACCOUNT_VERSION_SQL): a reload costs one indexed read until money moves
    again. A cache that is down only makes it slower.
    """
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            f"SELECT a.id, {ACCOUNT_VERSION_SQL} FROM leerrekening_ledgeraccount a"  # noqa: S608
            " WHERE a.worker_id = %s",
            [worker.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return []
    account_id, version = row
    today = timezone.localdate()
    points = cache_get(_balance_key(account_id, version, today, days))
    if points is not None:
        return points
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time.min)
    )
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            BALANCE_SQL,
            {"tz": settings.TIME_ZONE, "account": account_id, "since": since},
        )
        rows = cursor.fetchall()
    balance, version = rows[0][0], rows[0][1]
    moved = [(day, running, total) for _b, _v, day, running, total in rows if day is not None]
    if not moved:
        points = [BalancePoint(day=today, balance=balance)]
    else:
        start = balance - moved[0][2]
        points = [BalancePoint(day=day, balance=start + running) for day, running, _ in moved]
        if points[-1].day != today:
            points.append(BalancePoint(day=today, balance=balance))
    cache_set(_balance_key(account_id, version, today, days), points, BALANCE_CACHE_SECONDS)
    return points


def _balance_key(account_id: int, version: str, today: datetime.date, days: int) -> str:
    return f"balance-over-time:{account_id}:{version}:{today.isoformat()}:{days}"


def cache_get(key: str):
    """The cached value, or None when absent or when the cache (Redis) is down."""
    try:
        return cache.get(key)
    except Exception:  # Redis down: compute it
        logger.warning("cache unreachable; computing %s", key, exc_info=True)
        return None


def cache_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unreachable; %s not stored", key, exc_info=True)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    path: str
    area: str
    max_label: Decimal
    points: list[BalancePoint]
    first_day: datetime.date | None
    last_day: datetime.date | None


def balance_chart(*, points: list[BalancePoint], width: int = 320, height: int = 120) -> Chart:
    """An SVG step line of the balance (drawn server-side; the page shows the table beside it)."""
    if not points:
        return Chart(width, height, "", "", Decimal("0"), [], None, None)
    top = max(max(p.balance for p in points), Decimal("1"))
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)

    def x(day: datetime.date) -> float:
        return round((day - first).days / span * width, 1)

    def y(value: Decimal) -> float:
        return round(height - float(value / top) * (height - 4), 1)

    parts = [f"M0,{y(points[0].balance)}"]
    for previous, point in itertools.pairwise(points):
        parts.append(f"H{x(point.day)}")
        if point.balance != previous.balance:
            parts.append(f"V{y(point.balance)}")
    parts.append(f"H{width}")
    path = " ".join(parts)
    return Chart(
        width=width,
        height=height,
        path=path,
        area=f"{path} V{height} H0 Z",
        max_label=top,
        points=points,
        first_day=first,
        last_day=last,
    )


# --- My data --------------------------------------------------------------------------------------


def my_data(*, worker: User) -> dict:
    """Everything the portal holds about this worker, for their own export (AVG/GDPR art. 15)."""
    account = LedgerAccount.objects.filter(worker=worker).first()
    summary = selectors.account_summary(worker=worker)
    transfers = []
    if account is not None:
        for t in (
            Transfer.objects.filter(Q(debit_account=account) | Q(credit_account=account))
            .order_by("id")
            .values("id", "created_at", "kind", "amount", "debit_account_id", "cause")
            .iterator(chunk_size=2000)
        ):
            incoming = t["debit_account_id"] != account.pk
            transfers.append(
                {
                    "id": t["id"],
                    "datum": t["created_at"].isoformat(),
                    "soort": t["kind"],
                    "bedrag": str(t["amount"] if incoming else -t["amount"]),
                    "oorzaak": t["cause"],
                }
            )
    return {
        "persoon": {
            "naam": worker.full_name,
            "e-mail": worker.email,
            "aangemaakt_op": worker.date_joined.isoformat(),
        },
        "dienstverbanden": [
            {
                "werkgever": e.employer.name,
                "personeelsnummer": e.employee_number,
                "begindatum": e.start_date.isoformat(),
                "einddatum": e.end_date.isoformat() if e.end_date else None,
            }
            for e in selectors.employments_of(worker=worker)
        ],
        "leerrekening": {
            "te_besteden": str(summary.available),
            "gereserveerd": str(summary.reserved),
            "totaal": str(summary.total),
        },
        "tegoeden": [
            {
                "financier": t.funder.name,
                "bron": t.source,
                "gestort": str(t.amount),
                "over": str(t.remaining),
                "einddatum": t.ends_on.isoformat() if t.ends_on else None,
            }
            for t in selectors.tranches_of(worker=worker)
        ],
        "overboekingen": transfers,
        "boekingen": [
            {
                "id": b.pk,
                "opleiding": b.course.title,
                "opleider": b.course.provider.name,
                "status": b.status,
                "prijs": str(b.price),
                "uit_leerrekening": str(b.budget_amount),
                "eigen_bijdrage": str(b.own_contribution),
                "over_werk_en_loopbaan": b.work_related,
                "geboekt_op": b.created_at.isoformat(),
            }
            for b in bookings_of(worker=worker)
        ],
        "berichten": [
            {
                "datum": n.created_at.isoformat(),
                "soort": n.kind,
                "titel": n.title,
                "tekst": n.body,
            }
            for n in notifications_of(user=worker)
        ],
    }


def my_data_rows(*, data: dict) -> list[tuple[str, int, str, str]]:
    """The export flattened for a spreadsheet: (section, number, field, value) per fact."""
    rows: list[tuple[str, int, str, str]] = []
    for section, content in data.items():
        records = content if isinstance(content, list) else [content]
        for number, record in enumerate(records, start=1):
            for field, value in record.items():
                rows.append((section, number, field, "" if value is None else str(value)))
    return rows


@dataclass(frozen=True)
class FunderShare:
    funder_name: str
    remaining: Decimal
    parts: int
    next_end: datetime.date | None  # the earliest end date of what is left
    ending_soon: Decimal  # what is left of parts ending within `warn_days`


def funder_shares(*, worker: User, warn_days: int = 90) -> list[FunderShare]:
    """Per funder: what is left, in how many parts, the first end date and how much ends within
    `warn_days`. One grouped query, so the dashboard stays the same size with thousands of
    tranches (the full list per tranche is in the data export)."""
    warn_until = timezone.localdate() + datetime.timedelta(days=warn_days)
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            "SELECT f.name, sum(t.remaining), count(*), min(t.ends_on),"
            "       coalesce(sum(t.remaining) FILTER (WHERE t.ends_on <= %(until)s), 0)"
            "  FROM leerrekening_tranche t"
            "  JOIN leerrekening_ledgeraccount a ON a.id = t.account_id"
            "  JOIN leerrekening_funder f ON f.id = t.funder_id"
            " WHERE a.worker_id = %(worker)s AND t.spendable"
            " GROUP BY f.name ORDER BY f.name",
            {"worker": worker.pk, "until": warn_until},
        )
        rows = cursor.fetchall()
    return [
        FunderShare(
            funder_name=name, remaining=total, parts=parts, next_end=next_end, ending_soon=soon
        )
        for name, total, parts, next_end, soon in rows
    ]
