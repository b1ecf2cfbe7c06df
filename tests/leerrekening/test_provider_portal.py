"""Provider staff: see their own courses and bookings, declare a start and get paid; never more."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from leerrekening import ledger
from leerrekening.bookings import services as services
from leerrekening.models import Booking, Reservation
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = pytest.mark.django_db


def book(worker, course, token="t"):  # noqa: S107 — a form token
    return services.booking_create(
        worker=worker, course=course, work_related=True, pays_rest_self=False, request_token=token
    )


def on_start_day(time_machine, course):
    time_machine.move_to(datetime.datetime.combine(course.start_date, datetime.time(9)))


def test_declaring_the_start_pays_the_reservation_to_the_provider(
    client, olaf, funded_alice, course, provider, time_machine
):
    booking = book(funded_alice, course)
    on_start_day(time_machine, course)
    client.force_login(olaf)
    response = client.post(reverse("leerrekening:provider-declare-start", args=[booking.pk]))
    assert response.status_code == 302
    client.post(reverse("leerrekening:provider-declare-start", args=[booking.pk]))  # twice: once

    booking.refresh_from_db()
    assert booking.status == Booking.Status.STARTED
    assert booking.reservation.status == Reservation.Status.POSTED
    assert balance_of(ledger.account_for_provider(provider=provider)) == Decimal("450.00")
    page = client.get(reverse("leerrekening:provider-start")).content.decode()
    assert "€ 450,00" in page
    assert_invariants_hold()


def test_a_start_cannot_be_declared_before_the_start_date(
    client, olaf, funded_alice, course, time_machine
):
    booking = book(funded_alice, course)
    time_machine.move_to(
        datetime.datetime.combine(course.start_date - datetime.timedelta(days=1), datetime.time(9))
    )
    with pytest.raises(services.StartTooEarly):
        services.booking_declare_start(booking=booking, by=olaf)
    on_start_day(time_machine, course)
    services.booking_declare_start(booking=booking, by=olaf)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.STARTED


def test_a_cancelled_booking_cannot_be_started(olaf, funded_alice, course, time_machine):
    booking = book(funded_alice, course)
    services.booking_cancel(booking=booking, by=funded_alice)
    on_start_day(time_machine, course)
    with pytest.raises(services.BookingNotStartable):
        services.booking_declare_start(booking=booking, by=olaf)


def test_a_provider_cannot_declare_the_start_of_another_providers_booking(
    client, olaf, funded_alice, other_course, time_machine
):
    booking = book(funded_alice, other_course)
    on_start_day(time_machine, other_course)
    client.force_login(olaf)
    response = client.post(reverse("leerrekening:provider-declare-start", args=[booking.pk]))
    assert response.status_code == 404
    with pytest.raises(services.NotProviderStaff):
        services.booking_declare_start(booking=booking, by=olaf)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED


def test_provider_sees_name_and_email_of_participants_but_no_balance(
    client, olaf, funded_alice, course
):
    book(funded_alice, course)
    client.force_login(olaf)
    body = client.get(reverse("leerrekening:provider-course", args=[course.pk])).content.decode()
    assert "Alice Aalbers" in body
    assert "alice@example.nl" in body
    assert "1.000,00" not in body  # her deposit
    assert "550,00" not in body  # what she has left
    assert "000101" not in body  # her employee number


def test_a_provider_can_never_create_a_booking_or_charge(client, olaf, course):
    client.force_login(olaf)
    response = client.post(
        reverse("leerrekening:booking-create", args=[course.pk]),
        {"request_token": "x", "work_related": "yes", "confirm_with": "password", "password": "x"},
    )
    assert response.status_code == 403
    assert Booking.objects.count() == 0
    assert Reservation.objects.count() == 0
