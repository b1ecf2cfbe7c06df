"""Fixtures shared by the leerrekening tests (personas, funded_alice, provider and course are in
tests/conftest.py); a test module may define its own of the same name."""

from decimal import Decimal

import pytest

from tests import factories
from tests.support.funding import fund


@pytest.fixture
def funder(acme):
    return factories.FunderFactory(employer=acme)


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
    from leerrekening.bookings.services import booking_create

    fund("1000.00", worker=alice, funder=factories.FunderFactory(employer=acme))
    course = factories.CourseFactory(
        provider=olaf.provider_memberships.get().provider, price=Decimal("450.00")
    )
    booking = booking_create(
        worker=alice, course=course, work_related=True, pays_rest_self=False, request_token="o"
    )
    return booking, olaf


@pytest.fixture
def wim(db):
    """The manager of a provider that registered itself and awaits approval (with a CRKBO proof)."""
    from tests.support.auth import with_second_factor
    from tests.support.providers import provider_registered

    user = with_second_factor(
        factories.UserFactory(email="wim@example.nl", full_name="Wim Wachter", is_worker=False)
    )
    provider_registered(user)
    return user


@pytest.fixture
def pending_provider(wim):
    return wim.provider_memberships.get().provider


@pytest.fixture
def olaf_colleague(provider):
    """A staff member (not a manager) of olaf's provider."""
    from leerrekening.models import ProviderMembership
    from tests.support.auth import with_second_factor

    membership = factories.ProviderMembershipFactory(
        provider=provider,
        role=ProviderMembership.Role.STAFF,
        user__email="sanne@example.nl",
        user__full_name="Sanne Staf",
    )
    return with_second_factor(membership.user)
