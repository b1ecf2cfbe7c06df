"""The worker's pages run a fixed number of queries, however long the history is.

Each page is measured with a small history and with ten times as much: the count is pinned and
must be the same for both (no N+1 over transfers, tranches, bookings or notifications).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leerrekening.bookings import services as services
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db


def grow_history(worker, acme, *, n, start=0):
    """n deposits from n funders (tranches), n courses from several providers booked and
    cancelled (reservations, releases, notifications)."""
    providers = [factories.ProviderFactory() for _ in range(3)]
    for i in range(start, start + n):
        fund(
            "100.00",
            worker=worker,
            funder=factories.FunderFactory(employer=factories.EmployerFactory()),
        )
        course = factories.CourseFactory(
            provider=providers[i % 3], title=f"Lassen deel {i}", price="50.00"
        )
        booking = services.booking_create(
            worker=worker,
            course=course,
            work_related=True,
            pays_rest_self=False,
            request_token=f"grow-{i}",
        )
        services.booking_cancel(booking=booking, by=worker)


def count(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url", "max_queries"),
    [
        (reverse("leerrekening:dashboard"), 15),
        (reverse("leerrekening:catalogue") + "?q=lassen", 9),
        (reverse("leerrekening:catalogue") + "?q=lasen", 9),  # typo fallback
        (reverse("leerrekening:booking-list"), 8),
        (reverse("leerrekening:history"), 10),
    ],
)
def test_worker_pages_do_not_grow_with_history(
    client, alice, acme, django_assert_max_num_queries, url, max_queries
):
    client.force_login(alice)
    grow_history(alice, acme, n=4)
    small = count(client, url)
    grow_history(alice, acme, n=36, start=4)
    with django_assert_max_num_queries(max_queries):
        large = count(client, url)
    assert large == small


def test_provider_pages_do_not_grow_with_bookings(client, olaf, django_assert_max_num_queries):
    provider = olaf.provider_memberships.get().provider
    course = factories.CourseFactory(provider=provider, capacity=500, price="10.00")

    def book(n, start):
        for i in range(start, start + n):
            worker = factories.UserFactory()
            fund("10.00", worker=worker)
            services.booking_create(
                worker=worker,
                course=course,
                work_related=True,
                pays_rest_self=False,
                request_token=f"p{i}",
            )

    client.force_login(olaf)
    book(3, 0)
    small = count(client, reverse("leerrekening:provider-course", args=[course.pk]))
    book(27, 3)
    with django_assert_max_num_queries(10):
        large = count(client, reverse("leerrekening:provider-course", args=[course.pk]))
    assert large == small


def test_dashboard_warns_when_a_funders_part_ends_within_90_days(client, alice, acme):
    import datetime

    from django.utils import timezone

    soon = timezone.localdate() + datetime.timedelta(days=30)
    fund(
        "200.00",
        worker=alice,
        funder=factories.FunderFactory(
            name="Sectorfonds Retail", kind="sector_fund", employer=None
        ),
        ends_on=soon,
    )
    fund(
        "300.00",
        worker=alice,
        funder=factories.FunderFactory(employer=acme),
        ends_on=soon + datetime.timedelta(days=400),
    )
    client.force_login(alice)
    body = client.get(reverse("leerrekening:dashboard")).content.decode()
    assert "Je hebt nog € 500,00 te besteden" in body
    assert f"Let op: € 200,00 moet je gebruiken voor {soon.day}" in body
    assert "Acme Supermarkten: € 300,00" in body
