"""Provider API: only bookings of its own courses, no balances; declaring a start pays exactly
the reservation, once; another provider gets 404; no way to create a booking or a charge."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create
from leerrekening import ledger
from leerrekening.bookings import services as booking_services
from leerrekening.models import Transfer
from tests import factories
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(db):
    return factories.ProviderFactory(name="Vakschool")


@pytest.fixture
def booking(alice, acme, provider):
    funder = factories.FunderFactory(employer=acme)
    fund("1000.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("800.00"), idempotency_key="d"
    )
    course = factories.CourseFactory(
        provider=provider,
        price=Decimal("450.00"),
        start_date=timezone.localdate() + datetime.timedelta(days=1),
    )
    return booking_services.booking_create(
        worker=alice, course=course, work_related=True, pays_rest_self=False, request_token="t"
    )


def key_client(provider, carla):
    client = APIClient()
    _, text = api_key_create(name="Planning", provider=provider, by=carla)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    return client


def test_a_provider_lists_its_bookings_without_any_balance(provider, carla, booking):
    rows = key_client(provider, carla).get(reverse("api:v1:provider-bookings")).json()
    assert [r["id"] for r in rows] == [booking.pk]
    assert rows[0]["worker_name"] == "Alice Aalbers"
    assert "balance" not in str(rows)
    assert "800.00" not in str(rows)


def test_declaring_the_start_pays_the_reservation_once(provider, carla, booking, time_machine):
    client = key_client(provider, carla)
    time_machine.move_to(datetime.datetime.combine(booking.course.start_date, datetime.time(9)))
    url = reverse("api:v1:provider-booking-start", args=[booking.pk])
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="start-1")
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "started"
    assert client.post(url, HTTP_IDEMPOTENCY_KEY="start-2").status_code == 200  # already started
    assert Transfer.objects.filter(kind="payment").count() == 1
    payable = ledger.account_for_provider(provider=provider)
    payable.refresh_from_db()
    assert payable.balance == Decimal("450.00")
    assert_invariants_hold()


def test_another_provider_gets_404_and_no_data(carla, booking):
    other = key_client(factories.ProviderFactory(name="Andere school"), carla)
    response = other.post(
        reverse("api:v1:provider-booking-start", args=[booking.pk]), HTTP_IDEMPOTENCY_KEY="x"
    )
    assert response.status_code == 404
    assert "Alice" not in response.content.decode()
    assert other.get(reverse("api:v1:provider-bookings")).json() == []
    assert not Transfer.objects.filter(kind="payment").exists()


def test_a_start_too_early_is_refused(provider, carla, booking):
    course = booking.course
    course.start_date = timezone.localdate() + datetime.timedelta(days=30)
    course.save()
    response = key_client(provider, carla).post(
        reverse("api:v1:provider-booking-start", args=[booking.pk]), HTTP_IDEMPOTENCY_KEY="x"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "start_too_early"


def test_a_provider_cannot_create_a_booking_or_a_charge(provider, carla, booking):
    client = key_client(provider, carla)
    assert client.post(reverse("api:v1:provider-bookings"), {}, format="json").status_code == 405
    for url in [reverse("api:v1:me-bookings"), reverse("api:v1:me-account")]:
        assert client.get(url).status_code == 403


def test_a_worker_or_employer_cannot_use_the_provider_api(alice, acme, carla, booking):
    client = APIClient()
    client.force_authenticate(alice)
    assert client.get(reverse("api:v1:provider-bookings")).status_code == 403
    _, text = api_key_create(name="Salaris", employer=acme, by=carla)
    client.force_authenticate(None)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    assert client.get(reverse("api:v1:provider-bookings")).status_code == 403
