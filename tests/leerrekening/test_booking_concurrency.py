"""Booking rushes with real threads, each on its own PostgreSQL connection: every invariant of
booking_create holds (capacity, the pending cap, one booking per token, the budget)."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from leerrekening import ledger
from leerrekening.models import Booking, Reservation
from tests import factories
from tests.support.booking import book
from tests.support.concurrency import run_concurrently
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def funded_workers(n: int, amount: str = "500.00"):
    funder = factories.FunderFactory(employer=factories.EmployerFactory())
    workers = [factories.UserFactory() for _ in range(n)]
    for worker in workers:
        fund(amount, worker=worker, funder=funder)
    return workers


def test_a_rush_on_a_course_books_exactly_its_capacity(db):
    course = factories.CourseFactory(price=Decimal("100.00"), capacity=5)
    workers = funded_workers(12)
    results = run_concurrently(12, lambda i: book(workers[i], course, token=f"t-{i}"))
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome == {"Booking": 5, "CourseFull": 7}
    assert Booking.objects.filter(course=course, status="reserved").count() == 5
    assert Reservation.objects.filter(status="open").count() == 5
    assert_invariants_hold()


def test_one_worker_booking_many_courses_at_once_keeps_the_pending_cap(db):
    (worker,) = funded_workers(1, "1000.00")
    provider = factories.ProviderFactory()
    courses = [factories.CourseFactory(provider=provider, price=Decimal("50.00")) for _ in range(8)]
    results = run_concurrently(8, lambda i: book(worker, courses[i], token=f"t-{i}"))
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome == {"Booking": 3, "TooManyPendingBookings": 5}
    assert ledger.account_for_worker(worker=worker).balance == Decimal("850.00")
    assert_invariants_hold()


def test_the_same_form_submitted_many_times_at_once_books_once(db):
    (worker,) = funded_workers(1)
    course = factories.CourseFactory(price=Decimal("100.00"))
    results = run_concurrently(10, lambda i: book(worker, course, token="one-token"))
    assert all(isinstance(r, Booking) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Reservation.objects.count() == 1
    assert_invariants_hold()


def test_a_budget_for_two_bookings_pays_for_exactly_two_of_many_at_once(db):
    (worker,) = funded_workers(1, "200.00")
    courses = [
        factories.CourseFactory(
            price=Decimal("100.00"), start_date=timezone.localdate() + datetime.timedelta(days=30)
        )
        for _ in range(3)
    ]
    results = run_concurrently(3, lambda i: book(worker, courses[i], token=f"t-{i}"))
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome == {"Booking": 2, "InsufficientBudget": 1}
    assert ledger.account_for_worker(worker=worker).balance == Decimal("0.00")
    assert_invariants_hold()


def test_one_emailed_code_used_for_many_bookings_at_once_books_once(db):
    from leerrekening.models import OneTimeCode
    from tests.support.booking import CODE, give_code

    (worker,) = funded_workers(1, "1000.00")
    provider = factories.ProviderFactory()
    courses = [factories.CourseFactory(provider=provider, price=Decimal("50.00")) for _ in range(6)]
    give_code(worker)

    results = run_concurrently(6, lambda i: book(worker, courses[i], token=f"t-{i}", code=CODE))
    outcome = Counter(type(r).__name__ for r in results)
    # The 5 refused tries count as wrong confirmations; the 5th locks confirming (issue 16).
    assert outcome == {"Booking": 1, "ConfirmationFailed": 4, "ConfirmationLocked": 1}
    assert Booking.objects.count() == 1
    code = OneTimeCode.objects.get()
    assert code.used_at is not None
    assert code.attempts == 1  # the later tries found no live code: nothing left to count
    assert ledger.account_for_worker(worker=worker).balance == Decimal("950.00")
    assert_invariants_hold()
