"""Money reaches a provider no earlier than the course's start date: a start declared before it,
through the portal, the provider API or the service, is refused with nothing moved."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create
from leerrekening import ledger, selectors
from leerrekening.bookings import services as services
from leerrekening.models import Booking, Reservation, Transfer
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = pytest.mark.django_db


def _at(time_machine, day: datetime.date) -> None:
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(9)))


def _assert_nothing_moved(booking, provider, worker) -> None:
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED
    assert booking.started_at is None
    assert booking.reservation.status == Reservation.Status.OPEN
    assert not Transfer.objects.filter(kind="payment").exists()
    assert balance_of(ledger.account_for_provider(provider=provider)) == Decimal("0.00")
    assert selectors.account_summary(worker=worker).reserved == Decimal("450.00")
    assert_invariants_hold()


@pytest.mark.parametrize("days_before", [1, 3, 30])
def test_a_start_declared_before_the_start_date_pays_nothing(
    client, olaf, carla, funded_alice, course, provider, time_machine, days_before
):
    booking = services.booking_create(
        worker=funded_alice, course=course, work_related=True, pays_rest_self=False,
        request_token="t",
    )  # fmt: skip
    _at(time_machine, course.start_date - datetime.timedelta(days=days_before))

    with pytest.raises(services.StartTooEarly):
        services.booking_declare_start(booking=booking, by=olaf)
    _assert_nothing_moved(booking, provider, funded_alice)

    client.force_login(olaf)
    page = client.post(reverse("leerrekening:provider-declare-start", args=[booking.pk]))
    assert page.status_code == 302
    _assert_nothing_moved(booking, provider, funded_alice)

    api = APIClient()
    _, text = api_key_create(name="Planning", provider=provider, by=carla)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    answer = api.post(
        reverse("api:v1:provider-booking-start", args=[booking.pk]), HTTP_IDEMPOTENCY_KEY="s"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "start_too_early"
    _assert_nothing_moved(booking, provider, funded_alice)

    # On the start date itself the same declaration pays the reservation, once.
    _at(time_machine, course.start_date)
    services.booking_declare_start(booking=booking, by=olaf)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.STARTED
    assert balance_of(ledger.account_for_provider(provider=provider)) == Decimal("450.00")
    assert_invariants_hold()
