"""Coordinators approve providers and courses, handle frozen bookings and see the anomaly signal."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leerrekening.bookings import services as services
from leerrekening.bookings.selectors import booking_anomalies
from leerrekening.models import Booking
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db


def test_a_coordinator_approves_a_provider_then_its_course(client, carla):
    provider = factories.ProviderFactory(approved_at=None, name="Nieuwe School")
    course = factories.CourseFactory(provider=provider, approved_at=None, title="Nieuwe cursus")
    client.force_login(carla)
    page = client.get(reverse("leerrekening:coordinator-catalogue")).content.decode()
    assert "Nieuwe School" in page
    assert "Nieuwe cursus" in page

    response = client.post(
        reverse("leerrekening:coordinator-course-approve", args=[course.pk]), follow=True
    )
    assert "Keur eerst de opleider goed." in response.content.decode()
    client.post(reverse("leerrekening:coordinator-provider-approve", args=[provider.pk]))
    client.post(reverse("leerrekening:coordinator-course-approve", args=[course.pk]))
    provider.refresh_from_db()
    course.refresh_from_db()
    assert provider.approved_by == carla
    assert course.approved_by == carla


def test_a_provider_without_a_quality_mark_is_not_approved(client, carla):
    provider = factories.ProviderFactory(approved_at=None, quality_mark="")
    client.force_login(carla)
    response = client.post(
        reverse("leerrekening:coordinator-provider-approve", args=[provider.pk]), follow=True
    )
    assert "geen geldig KvK-nummer of keurmerk" in response.content.decode()
    provider.refresh_from_db()
    assert provider.approved_at is None


def test_only_coordinators_reach_the_approval_and_frozen_pages(client, alice, olaf, hanna, amir):
    provider = factories.ProviderFactory(approved_at=None)
    for person in [alice, olaf, hanna, amir]:
        client.force_login(person)
        for name in ["coordinator-catalogue", "coordinator-bookings"]:
            assert client.get(reverse(f"leerrekening:{name}")).status_code == 403
        response = client.post(
            reverse("leerrekening:coordinator-provider-approve", args=[provider.pk])
        )
        assert response.status_code == 403
    provider.refresh_from_db()
    assert provider.approved_at is None


def test_frozen_bookings_are_listed_and_can_be_released(client, carla, funded_alice, course):
    booking = services.booking_create(
        worker=funded_alice,
        course=course,
        work_related=True,
        pays_rest_self=False,
        request_token="t",
    )
    services.booking_freeze(booking=booking, by=funded_alice, reason="Gebeld door een verkoper")
    client.force_login(carla)
    page = client.get(reverse("leerrekening:coordinator-bookings")).content.decode()
    assert "Gebeld door een verkoper" in page
    assert f"#{booking.pk}" in page
    client.post(reverse("leerrekening:coordinator-booking-release", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_a_course_with_many_more_bookings_this_week_than_usual_is_signalled(
    client, carla, provider
):
    hot = factories.CourseFactory(provider=provider, title="Snelle crypto-cursus", capacity=100)
    quiet = factories.CourseFactory(provider=provider, title="Rustige cursus", capacity=100)
    for n in range(6):
        worker = factories.UserFactory()
        fund("1000.00", worker=worker)
        for booked in (hot, quiet) if n < 1 else (hot,):
            services.booking_create(
                worker=worker,
                course=booked,
                work_related=True,
                pays_rest_self=False,
                request_token=f"{n}-{booked.pk}",
            )
    # The quiet course's booking was weeks ago; the hot course's came all this week.
    Booking.objects.filter(course=quiet).update(
        created_at=timezone.now() - datetime.timedelta(days=20)
    )
    signalled = {(a.kind, a.name) for a in booking_anomalies()}
    assert ("course", "Snelle crypto-cursus") in signalled
    assert ("course", "Rustige cursus") not in signalled
    client.force_login(carla)
    page = client.get(reverse("leerrekening:coordinator-bookings")).content.decode()
    assert "Snelle crypto-cursus" in page
