"""Reads for the portal pages: the worker's bookings, the catalogue search, the balance chart,
provider and coordinator lists, and the worker's own data export.

Every read that a person's page uses is scoped to that person (bookings_of, provider_bookings_of):
views fetch through them, so someone else's row is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from leerportaal import prepared
from leerrekening import selectors
from leerrekening.models import (
    Booking,
    Course,
    LedgerAccount,
    Notification,
    Provider,
    Reservation,
    Transfer,
)

logger = logging.getLogger(__name__)

# --- Worker ---------------------------------------------------------------------------------------


def bookings_of(*, worker: User) -> QuerySet[Booking]:
    """The worker's own bookings, newest first (one query with course and provider)."""
    return (
        Booking.objects.filter(worker=worker)
        .select_related("course__provider")
        .order_by("-created_at", "-id")
    )


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
    points = _cache_get(_balance_key(account_id, version, today, days))
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
    _cache_set(_balance_key(account_id, version, today, days), points, BALANCE_CACHE_SECONDS)
    return points


def _balance_key(account_id: int, version: str, today: datetime.date, days: int) -> str:
    return f"balance-over-time:{account_id}:{version}:{today.isoformat()}:{days}"


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # Redis down: compute it
        logger.warning("cache unreachable; computing %s", key, exc_info=True)
        return None


def _cache_set(key: str, value, timeout: int) -> None:
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


# --- Catalogue ------------------------------------------------------------------------------------

# The same expression as the GIN index in migration 0005_course_search_indexes.
COURSE_SEARCH_EXPRESSION = (
    "(setweight(to_tsvector('dutch'::regconfig, coalesce(leerrekening_course.title, '')), 'A') || "
    "setweight(to_tsvector('dutch'::regconfig, coalesce(leerrekening_course.description, '')), 'B'))"
)
PROVIDER_NAME_VECTOR = "to_tsvector('dutch'::regconfig, leerrekening_provider.name)"
WORD = re.compile(r"\w+", re.UNICODE)
TYPO_SIMILARITY = 0.4
# Built from the constants above only; the user's words are always a query parameter.
MATCHING_COURSES_SQL = (
    "SELECT leerrekening_course.id FROM leerrekening_course JOIN leerrekening_provider"  # noqa: S608
    " ON leerrekening_provider.id = leerrekening_course.provider_id"
    f" WHERE {COURSE_SEARCH_EXPRESSION} @@ to_tsquery('dutch', %s)"
    f" OR {PROVIDER_NAME_VECTOR} @@ to_tsquery('dutch', %s)"
)


def _prefix_query(text: str) -> str | None:
    """'lassen mig' -> "lassen:* & mig:*"; to_tsquery stems each word (Dutch) before the prefix
    match, so 'lassen' finds 'lassen', 'lasser', 'lassers'. Only word characters go in."""
    words = WORD.findall(text.lower())[:8]
    if not words:
        return None
    return " & ".join(f"{word}:*" for word in words)


def bookable_courses() -> QuerySet[Course]:
    return Course.objects.filter(
        approved_at__isnull=False,
        provider__approved_at__isnull=False,
        start_date__gt=timezone.localdate(),
    ).select_related("provider")


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


# bookable_courses()'s rule in SQL, for course `c` joined to its provider `p`, on %(today)s: the
# booking form and booking_create's locked read use it.
BOOKABLE_SQL = (
    "c.approved_at IS NOT NULL AND p.approved_at IS NOT NULL AND c.start_date > %(today)s"
)

# Built once from the models' own columns; no input ever goes into this text.
_BOOKING_PAGE_SQL = (
    f"SELECT {_columns(Course, 'c')}, {_columns(Provider, 'p')},"  # noqa: S608
    f"       {selectors.SUMMARY_COLUMNS_SQL}"
    "  FROM leerrekening_course c JOIN leerrekening_provider p ON p.id = c.provider_id"
    "  LEFT JOIN leerrekening_ledgeraccount a ON a.worker_id = %(worker)s"
    f" WHERE c.id = %(course)s AND {BOOKABLE_SQL}"
)


def booking_page(*, pk: int, worker: User) -> tuple[Course, selectors.AccountSummary] | None:
    """The booking form's data: one course of bookable_courses() with its provider, and the
    worker's account summary; None when the course cannot be booked.

    One statement in plain SQL, for the page every booking posts to: the same rule as
    bookable_courses(), without building ORM queries per request.
    """
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            _BOOKING_PAGE_SQL,
            {
                "course": pk,
                "today": timezone.localdate(),
                "worker": worker.pk,
                "open": Reservation.Status.OPEN,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    course_names = [field.attname for field in Course._meta.concrete_fields]
    provider_names = [field.attname for field in Provider._meta.concrete_fields]
    split = len(course_names)
    course = Course.from_db("default", course_names, row[:split])
    course.provider = Provider.from_db(
        "default", provider_names, row[split : split + len(provider_names)]
    )
    return course, selectors.summary_from_row(*row[-2:])


@dataclass(frozen=True)
class CatalogueFilters:
    q: str = ""
    format: str = ""
    place: str = ""
    max_price: Decimal | None = None
    max_hours: int | None = None
    start_from: datetime.date | None = None
    start_until: datetime.date | None = None


def catalogue_search(*, filters: CatalogueFilters) -> tuple[QuerySet[Course], bool]:
    """Approved courses of approved providers that have not started, matching the filters.

    Text: Dutch full-text search over title (weight A), description (B) and the provider's name,
    ranked; if that finds nothing, trigram word similarity on the title catches typos
    ("heftuck"). Returns the queryset and whether the typo fallback was used.
    """
    courses = bookable_courses()
    if filters.format:
        courses = courses.filter(format=filters.format)
    if filters.place:
        courses = courses.filter(location__icontains=filters.place.strip())
    if filters.max_price is not None:
        courses = courses.filter(price__lte=filters.max_price)
    if filters.max_hours is not None:
        courses = courses.filter(duration_hours__lte=filters.max_hours)
    if filters.start_from:
        courses = courses.filter(start_date__gte=filters.start_from)
    if filters.start_until:
        courses = courses.filter(start_date__lte=filters.start_until)
    query = _prefix_query(filters.q)
    if query is None:
        return courses.order_by("start_date", "title"), False
    matched = courses.annotate(
        # The SQL is built from module constants only; the user's words are a parameter.
        rank=RawSQL(  # noqa: S611
            f"ts_rank({COURSE_SEARCH_EXPRESSION}, to_tsquery('dutch', %s))"
            f" + 0.5 * ts_rank({PROVIDER_NAME_VECTOR}, to_tsquery('dutch', %s))",
            (query, query),
        )
    ).filter(
        pk__in=RawSQL(  # noqa: S611
            MATCHING_COURSES_SQL,
            (query, query),
        )
    )
    if matched.exists():
        return matched.order_by("-rank", "start_date", "title"), False
    text = " ".join(WORD.findall(filters.q.lower()))
    fuzzy = courses.annotate(
        similarity=RawSQL("word_similarity(%s, leerrekening_course.title)", (text,))
    ).filter(similarity__gte=TYPO_SIMILARITY)
    return fuzzy.order_by("-similarity", "start_date"), True


def course_places() -> list[str]:
    return list(
        bookable_courses()
        .exclude(location="")
        .order_by("location")
        .values_list("location", flat=True)
        .distinct()
    )


def course_seats_taken(*, course: Course) -> int:
    return Booking.objects.filter(
        course=course, status__in=("requested", "reserved", "started", "frozen")
    ).count()


# --- Provider staff -------------------------------------------------------------------------------


def provider_courses_of(*, user: User) -> QuerySet[Course]:
    """Courses of the providers this user works for, with the number of active bookings."""
    return (
        Course.objects.filter(provider__memberships__user=user)
        .select_related("provider")
        .annotate(
            active_bookings=Count(
                "bookings", filter=Q(bookings__status__in=("reserved", "started", "frozen"))
            )
        )
        .order_by("start_date", "title")
    )


def provider_bookings_of(*, user: User) -> QuerySet[Booking]:
    """Bookings for courses of this user's providers. The page shows the worker's name and
    e-mail only (what the course needs); never balances or other bookings of the worker."""
    return (
        Booking.objects.filter(course__provider__memberships__user=user)
        .exclude(status=Booking.Status.REQUESTED)
        .select_related("course__provider", "worker")
        .only(
            "id",
            "status",
            "price",
            "budget_amount",
            "own_contribution",
            "created_at",
            "started_at",
            "course__id",
            "course__title",
            "course__start_date",
            "course__provider__id",
            "course__provider__name",
            "worker__id",
            "worker__full_name",
            "worker__email",
        )
        .order_by("course__start_date", "course__title", "worker__full_name")
    )


def provider_payable_balance(*, user: User) -> list[tuple[Provider, Decimal]]:
    """What each of this user's providers has been paid through bookings (payable account)."""
    rows = []
    for provider in Provider.objects.filter(memberships__user=user).select_related(
        "payable_account"
    ):
        account = getattr(provider, "payable_account", None)
        rows.append((provider, account.balance if account else Decimal("0.00")))
    return rows


# --- Coordinator ----------------------------------------------------------------------------------


def frozen_bookings() -> QuerySet[Booking]:
    return (
        Booking.objects.filter(status=Booking.Status.FROZEN)
        .select_related("course__provider", "worker", "reservation")
        .order_by("frozen_at")
    )


@dataclass(frozen=True)
class Anomaly:
    kind: str  # "course" or "provider"
    name: str
    this_week: int
    weekly_average: Decimal


ANOMALY_SQL = """
WITH counts AS (
    SELECT {key} AS key,
           COUNT(*) FILTER (WHERE b.created_at >= %(week)s) AS this_week,
           COUNT(*) FILTER (WHERE b.created_at < %(week)s) AS before
      FROM leerrekening_booking b JOIN leerrekening_course c ON c.id = b.course_id
     WHERE b.created_at >= %(since)s
     GROUP BY 1
)
SELECT key, this_week, before::numeric / %(weeks)s AS average FROM counts
 WHERE this_week >= %(minimum)s AND this_week >= %(factor)s * (before::numeric / %(weeks)s)
 ORDER BY this_week DESC
"""


def booking_anomalies(*, weeks: int = 8) -> list[Anomaly]:
    """Courses and providers with many more bookings in the last 7 days than their weekly average
    over the `weeks` before (at least BOOKING_ANOMALY_MIN_BOOKINGS and FACTOR times the average):
    the signal of a cold-calling campaign or a provider pushing its own course."""
    now = timezone.now()
    params = {
        "week": now - datetime.timedelta(days=7),
        "since": now - datetime.timedelta(days=7 * (weeks + 1)),
        "weeks": weeks,
        "minimum": settings.BOOKING_ANOMALY_MIN_BOOKINGS,
        "factor": settings.BOOKING_ANOMALY_FACTOR,
    }
    found: list[Anomaly] = []
    with connection.cursor() as cursor:
        for kind, key in (("course", "c.id"), ("provider", "c.provider_id")):
            cursor.execute(ANOMALY_SQL.format(key=key), params)
            rows = cursor.fetchall()
            model = Course if kind == "course" else Provider
            names = dict(
                model.objects.filter(pk__in=[r[0] for r in rows]).values_list(
                    "pk", "title" if kind == "course" else "name"
                )
            )
            found += [
                Anomaly(kind=kind, name=names[key_], this_week=n, weekly_average=avg)
                for key_, n, avg in rows
            ]
    return found


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
