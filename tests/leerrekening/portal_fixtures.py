"""Fixtures for the portal tests: a funded alice, olaf's provider and its courses.

Money is made the real way (funding, then a deposit through the ledger service), never written.
Import the fixtures a test module needs: `from tests.leerrekening.portal_fixtures import ...`.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from leerrekening import ledger
from tests import factories

_keys = itertools.count()


def fund(worker, amount: str, *, funder=None, ends_on: datetime.date | None = None):
    """Deposit `amount` into the worker's learning account (funding the funder first)."""
    funder = funder or factories.FunderFactory(employer=factories.EmployerFactory())
    n = next(_keys)
    ledger.funding_record(funder=funder, amount=Decimal(amount), idempotency_key=f"t-fund-{n}")
    return ledger.deposit_create(
        funder=funder,
        worker=worker,
        amount=Decimal(amount),
        idempotency_key=f"t-dep-{n}",
        ends_on=ends_on,
    )


@pytest.fixture
def celery_eager():
    from leerportaal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def funded_alice(alice, acme):
    funder = factories.FunderFactory(employer=acme)
    fund(
        alice, "1000.00", funder=funder, ends_on=timezone.localdate() + datetime.timedelta(days=60)
    )
    return alice


@pytest.fixture
def provider(olaf):
    return olaf.provider_memberships.get().provider


@pytest.fixture
def course(provider):
    return factories.CourseFactory(
        provider=provider,
        title="Basiscursus lassen",
        description="Leer lassen met MIG/MAG in de werkplaats.",
        price=Decimal("450.00"),
        capacity=12,
    )


@pytest.fixture
def other_course(db):
    """A course of another provider, which olaf has nothing to do with."""
    return factories.CourseFactory(
        provider=factories.ProviderFactory(name="Andere Academie"),
        title="Geheime cursus voor de buren",
        price=Decimal("333.00"),
    )


@pytest.fixture
def olaf_course_booking(olaf, alice, acme):
    """alice (with EUR 1,000) booked a EUR 450 course of olaf's provider: (booking, olaf)."""
    from leerrekening.services.bookings import booking_create

    fund(alice, "1000.00", funder=factories.FunderFactory(employer=acme))
    course = factories.CourseFactory(
        provider=olaf.provider_memberships.get().provider, price=Decimal("450.00")
    )
    booking = booking_create(
        worker=alice, course=course, work_related=True, pays_rest_self=False, request_token="o"
    )
    return booking, olaf
