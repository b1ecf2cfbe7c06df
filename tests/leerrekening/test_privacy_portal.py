"""DESIGN.md "Who may see what", for the worker, provider and coordinator pages of the portal.

Each forbidden access is tried and must be refused (404 for someone else's row, 403 for a page of
a role one lacks) with none of the data (course title, amounts, names) in the response.
Coaching conversations (the fourth row) are covered in tests/ambassadeurs/test_privacy.py.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from leerrekening.bookings import services as services
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Omscholing tot verpleegkundige"  # what alice books: her employer must never know


@pytest.fixture
def alice_booking(alice, acme):
    fund("1234.56", worker=alice, funder=factories.FunderFactory(employer=acme))
    provider = factories.ProviderFactory(name="Zorgacademie Zuid")
    course = factories.CourseFactory(provider=provider, title=SECRET_TITLE, price="789.00")
    return services.booking_create(
        worker=alice, course=course, work_related=True, pays_rest_self=False, request_token="a"
    )


def assert_refused_without_leak(response, *secrets, statuses=(403, 404)):
    assert response.status_code in statuses, response.status_code
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body, f"{secret!r} leaked"


ALICE_SECRETS = (SECRET_TITLE, "789,00", "1.234,56", "445,56", "Alice Aalbers")


# --- Row 1: balance and history: the worker only (coordinators: reconciliation only, in admin) ---


WORKER_PAGES = [
    "leerrekening:dashboard",
    "leerrekening:history",
    "leerrekening:booking-list",
    "leerrekening:notifications",
    "leerrekening:my-data-json",
    "leerrekening:my-data-csv",
]


@pytest.mark.parametrize("url_name", WORKER_PAGES)
@pytest.mark.parametrize("persona", ["hanna", "olaf", "carla"])
def test_non_workers_cannot_open_worker_pages(client, request, alice_booking, persona, url_name):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(url_name))
    assert_refused_without_leak(response, *ALICE_SECRETS, statuses=(403,))


@pytest.mark.parametrize("url_name", WORKER_PAGES)
@pytest.mark.parametrize("persona", ["bob", "amir"])
def test_another_worker_sees_only_their_own_account(
    client, request, alice_booking, persona, url_name
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    body = response.content.decode()
    for secret in ALICE_SECRETS:
        assert secret not in body


def test_anonymous_visitors_are_sent_to_the_login(client, alice_booking):
    for url_name in WORKER_PAGES:
        response = client.get(reverse(url_name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- Row 3: what a worker spent on -----------------------------------------------------------------


BOOKING_URLS = ["leerrekening:booking-detail", "leerrekening:booking-freeze"]


@pytest.mark.parametrize("persona", ["bob", "amir"])
def test_another_worker_cannot_open_cancel_or_freeze_a_booking(
    client, request, alice_booking, persona
):
    client.force_login(request.getfixturevalue(persona))
    for url_name in BOOKING_URLS:
        response = client.get(reverse(url_name, args=[alice_booking.pk]))
        assert_refused_without_leak(response, *ALICE_SECRETS, statuses=(404,))
    for url_name in ["leerrekening:booking-cancel", "leerrekening:booking-freeze"]:
        response = client.post(reverse(url_name, args=[alice_booking.pk]))
        assert_refused_without_leak(response, *ALICE_SECRETS, statuses=(404,))
    alice_booking.refresh_from_db()
    assert alice_booking.status == "reserved"


@pytest.mark.parametrize("persona", ["hanna", "olaf", "carla"])
def test_employer_provider_and_coordinator_cannot_use_the_workers_booking_pages(
    client, request, alice_booking, persona
):
    client.force_login(request.getfixturevalue(persona))
    for url_name in [*BOOKING_URLS, "leerrekening:booking-cancel"]:
        response = client.post(reverse(url_name, args=[alice_booking.pk]))
        assert_refused_without_leak(response, *ALICE_SECRETS)
    alice_booking.refresh_from_db()
    assert alice_booking.status == "reserved"


def test_the_employer_does_not_see_what_a_worker_booked_anywhere(client, hanna, alice_booking):
    client.force_login(hanna)
    for url in [
        reverse("leerrekening:provider-start"),
        reverse("leerrekening:provider-course", args=[alice_booking.course_id]),
        reverse("leerrekening:coordinator-bookings"),
        reverse("leerrekening:catalogue") + "?q=verpleegkundige",
    ]:
        assert_refused_without_leak(client.get(url), *ALICE_SECRETS)


def test_a_provider_does_not_see_bookings_with_another_provider(client, olaf, alice_booking):
    client.force_login(olaf)
    response = client.get(reverse("leerrekening:provider-start"))
    assert response.status_code == 200
    for secret in ALICE_SECRETS:
        assert secret not in response.content.decode()
    response = client.get(reverse("leerrekening:provider-course", args=[alice_booking.course_id]))
    assert_refused_without_leak(response, *ALICE_SECRETS, statuses=(404,))


def test_a_provider_sees_its_own_bookings_without_balances(client, olaf_course_booking):
    booking, olaf = olaf_course_booking
    client.force_login(olaf)
    body = client.get(
        reverse("leerrekening:provider-course", args=[booking.course_id])
    ).content.decode()
    assert "Alice Aalbers" in body
    assert "1.000,00" not in body
    assert "550,00" not in body


def test_an_ambassador_cannot_reach_provider_or_coordinator_pages(client, amir, alice_booking):
    client.force_login(amir)
    for url in [
        reverse("leerrekening:provider-start"),
        reverse("leerrekening:coordinator-bookings"),
        reverse("leerrekening:coordinator-catalogue"),
    ]:
        assert_refused_without_leak(client.get(url), *ALICE_SECRETS, statuses=(403,))


def test_a_coordinator_sees_a_booking_only_when_it_is_disputed(client, carla, alice, alice_booking):
    client.force_login(carla)
    page = client.get(reverse("leerrekening:coordinator-bookings")).content.decode()
    assert SECRET_TITLE not in page
    services.booking_freeze(booking=alice_booking, by=alice)
    page = client.get(reverse("leerrekening:coordinator-bookings")).content.decode()
    assert SECRET_TITLE in page


# --- Export: my data is mine only ------------------------------------------------------------------


def test_my_data_export_holds_everything_about_me_and_nothing_of_others(
    client, alice, bob, alice_booking
):
    fund("77.00", worker=bob)
    client.force_login(alice)
    data = json.loads(client.get(reverse("leerrekening:my-data-json")).content)
    assert data["persoon"]["e-mail"] == "alice@example.nl"
    assert data["leerrekening"]["te_besteden"] == "445.56"
    assert data["boekingen"][0]["opleiding"] == SECRET_TITLE
    assert {t["soort"] for t in data["overboekingen"]} == {"deposit", "reservation"}
    assert data["berichten"]
    assert "bob@example.nl" not in json.dumps(data)
    assert "77.00" not in json.dumps(data)

    csv_body = client.get(reverse("leerrekening:my-data-csv")).content.decode("utf-8-sig")
    assert "boekingen;1;opleiding;" + SECRET_TITLE in csv_body
    assert "bob@example.nl" not in csv_body


def test_the_csv_export_does_not_run_formulas(client, alice, provider_with_formula_course):
    course = provider_with_formula_course
    fund("100.00", worker=alice)
    services.booking_create(
        worker=alice, course=course, work_related=True, pays_rest_self=False, request_token="f"
    )
    client.force_login(alice)
    body = client.get(reverse("leerrekening:my-data-csv")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    values = {(section, field): value for section, _n, field, value in rows[1:]}
    assert values[("boekingen", "opleiding")] == '\'=HYPERLINK("http://x")'
    amounts = [value for section, _n, field, value in rows if field == "bedrag"]
    assert "-10.00" in amounts  # a negative amount stays a number


@pytest.fixture
def provider_with_formula_course(db):
    return factories.CourseFactory(title='=HYPERLINK("http://x")', price="10.00")


def test_the_who_sees_what_page_explains_the_table(client, alice):
    client.force_login(alice)
    body = client.get(reverse("leerrekening:who-sees-what")).content.decode()
    assert "Wie ziet wat?" in body
    assert "Je werkgever: nee." in body
