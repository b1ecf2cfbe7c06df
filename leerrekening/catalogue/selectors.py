"""Reads of the catalogue: what can be booked (one rule, in the ORM and in SQL), the search, the
booking form's data.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from leerportaal import prepared
from leerrekening import selectors
from leerrekening.models import Course, Provider, Reservation

_ALIAS = re.compile(r"[a-z_][a-z0-9_]*")


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
    """Approved courses of approved providers that start after today, with their provider.
    bookable_condition() is the same rule in SQL (tests/leerrekening/test_bookable_rule.py
    proves they agree)."""
    return Course.objects.filter(
        approved_at__isnull=False,
        provider__approved_at__isnull=False,
        start_date__gt=timezone.localdate(),
    ).select_related("provider")


def provider_staff_emails(*, provider: Provider) -> list[str]:
    """Where a provider's mail goes: its active staff."""
    return list(
        provider.memberships.filter(user__is_active=True)
        .order_by("user_id")
        .values_list("user__email", flat=True)
    )


def approval_queue() -> dict:
    """The coordinators' queue: what waits for a decision, and what is approved (to withdraw)."""
    return {
        "pending_providers": Provider.objects.pending()
        .prefetch_related("memberships__user", "quality_marks")
        .order_by("created_at", "pk"),
        "pending_courses": Course.objects.pending()
        .select_related("provider")
        .order_by("created_at", "pk"),
        "approved_providers": Provider.objects.approved().order_by("name", "pk"),
        "approved_courses": Course.objects.approved()
        .select_related("provider")
        .order_by("provider__name", "start_date", "pk"),
    }


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def bookable_condition(*, course: str, provider: str, today_param: str) -> str:
    """bookable_courses()'s rule as a SQL condition (a boolean) for course row `course` joined to
    its provider row `provider` (table aliases), on the date parameter %(<today_param>)s. The
    booking form (booking_page) and booking_create's locked read (bookings.sql) use it."""
    for alias in (course, provider, today_param):
        if not _ALIAS.fullmatch(alias):
            raise ValueError(f"not an alias: {alias!r}")
    return (
        f"{course}.approved_at IS NOT NULL AND {provider}.approved_at IS NOT NULL"
        f" AND {course}.start_date > %({today_param})s"
    )


# Built once from the models' own columns; no input ever goes into this text.
_BOOKING_PAGE_SQL = (
    f"SELECT {_columns(Course, 'c')}, {_columns(Provider, 'p')},"  # noqa: S608
    f"       {selectors.summary_columns(account='a', open_param='open')}"
    "  FROM leerrekening_course c JOIN leerrekening_provider p ON p.id = c.provider_id"
    "  LEFT JOIN leerrekening_ledgeraccount a ON a.worker_id = %(worker)s"
    f" WHERE c.id = %(course)s AND {bookable_condition(course='c', provider='p', today_param='today')}"
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
