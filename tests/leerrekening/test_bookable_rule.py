"""The bookable rule is written twice: in the ORM (catalogue.selectors.bookable_courses, for the
catalogue and the course page) and in SQL (bookable_condition, for the booking form's read and
booking_create's locked read). Over every combination of course and provider state they agree."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.utils import timezone

from leerrekening.bookings import sql
from leerrekening.catalogue.selectors import bookable_condition, bookable_courses, booking_page
from tests import factories

pytestmark = pytest.mark.django_db

START_OFFSETS = (-30, -1, 0, 1, 30)  # days from today


@pytest.fixture
def every_state(db):
    today = timezone.localdate()
    now = timezone.now()
    providers = {
        approved: factories.ProviderFactory(approved_at=now if approved else None)
        for approved in (True, False)
    }
    courses = []
    for provider_approved, course_approved, offset in itertools.product(
        (True, False), (True, False), START_OFFSETS
    ):
        courses.append(
            factories.CourseFactory(
                provider=providers[provider_approved],
                approved_at=now if course_approved else None,
                start_date=today + datetime.timedelta(days=offset),
            )
        )
    return courses


def _sql_bookable(today: datetime.date) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM leerrekening_course c"  # noqa: S608 — constants only
            " JOIN leerrekening_provider p ON p.id = c.provider_id"
            f" WHERE {bookable_condition(course='c', provider='p', today_param='today')}",
            {"today": today},
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_orm_and_the_sql_rule_agree_over_every_state(every_state):
    today = timezone.localdate()
    orm = set(bookable_courses().values_list("pk", flat=True))
    assert orm == _sql_bookable(today)
    # Only approved courses of an approved provider that start after today.
    assert len(orm) == len([o for o in START_OFFSETS if o > 0])


def test_the_booking_form_and_the_locked_read_use_the_same_rule(every_state):
    today = timezone.localdate()
    orm = set(bookable_courses().values_list("pk", flat=True))
    worker = factories.UserFactory()
    for course in every_state:
        assert (booking_page(pk=course.pk, worker=worker) is not None) == (course.pk in orm)
        statements, params = sql.locked_read(
            worker_id=worker.pk, course_id=course.pk, request_token="t", today=today, code=None
        )
        with connection.cursor() as cursor:
            cursor.execute(statements[-1], params)
            locked = sql.locked_course(cursor.fetchone())
        assert locked.bookable == (course.pk in orm), course


def test_an_alias_that_is_not_a_name_is_refused():
    with pytest.raises(ValueError, match="not an alias"):
        bookable_condition(course="c; DROP TABLE x", provider="p", today_param="today")
