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


# --- Approval queue and withdrawals ---------------------------------------------------------------


@pytest.fixture
def pending_provider(db):
    """A provider that registered and waits for a coordinator; petra is its staff."""
    membership = factories.ProviderMembershipFactory(
        user__email="petra@example.nl",
        provider__name="Nieuwe Academie",
        provider__approved_at=None,
    )
    return membership.provider


@pytest.fixture
def pending_course(provider):
    """A new course of olaf's (approved) provider, waiting for approval."""
    return factories.CourseFactory(
        provider=provider, title="Nieuw: lassen voor gevorderden", approved_at=None
    )


@pytest.fixture
def committed(celery_eager, django_capture_on_commit_callbacks):
    """`with committed():` runs what the block's commits start (tasks, in-process) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- Registration and team ---------------------------------------------------------------------


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
def registered_provider(wim):
    """wim's provider: registered through the page, awaiting approval, with a CRKBO proof."""
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
