"""Reads of bookings: the worker's own, provider staff's and coordinators'.

Every read that a person's page uses is scoped to that person (bookings_of, provider_bookings_of):
views fetch through them, so someone else's row is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from leerrekening.models import Booking, Course, Provider
from leerrekening.models.bookings import ACTIVE_STATUSES

# --- Worker ---------------------------------------------------------------------------------------


def bookings_of(*, worker: User) -> QuerySet[Booking]:
    """The worker's own bookings, newest first (one query with course and provider)."""
    return (
        Booking.objects.filter(worker=worker)
        .select_related("course__provider")
        .order_by("-created_at", "-id")
    )


def course_seats_taken(*, course: Course) -> int:
    return Booking.objects.filter(course=course, status__in=ACTIVE_STATUSES).count()


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


def bookings_for_provider(provider: Provider) -> QuerySet[Booking]:
    """Bookings of one provider's courses, newest first, for the provider's own API key: the
    worker's name and e-mail come along (what the course needs), never a balance."""
    return (
        Booking.objects.filter(course__provider=provider)
        .exclude(status=Booking.Status.REQUESTED)
        .select_related("course", "worker")
        .order_by("-created_at", "-id")
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
