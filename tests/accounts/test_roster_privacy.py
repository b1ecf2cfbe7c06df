"""The employer's roster keeps the name and address the employer gave. No roster answer (API,
roster import, admin) shows an existing account's own name or login address, or tells the
employer whether an address already had an account (DESIGN "Who may see what")."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create
from accounts.models import Employment, User
from tests import factories

pytestmark = pytest.mark.django_db

EMPLOYMENTS = "api:v1:employer-employments"
HIRE = "api:v1:employer-job-changes"
ACCOUNT_SECRETS = ("Privé Naam", "prive.login@example.nl")


@pytest.fixture
def bouw_api(bouw, carla) -> APIClient:
    client = APIClient()
    _, text = api_key_create(name="Salaris", employer=bouw, by=carla)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    return client


@pytest.fixture
def known(db):
    """An existing account with its own name, employed nowhere yet."""
    return factories.UserFactory(email="bekend@example.nl", full_name="Privé Naam")


def _post(client, **body):
    return client.post(reverse(EMPLOYMENTS), body, format="json")


def test_roster_api_answers_a_known_address_exactly_like_an_unknown_one(bouw_api, known):
    answers = [
        _post(
            bouw_api,
            email="Bekend@Example.nl",
            full_name="Naam Van Werkgever",
            employee_number="B-1",
            start_date="2026-12-01",
        ),
        _post(
            bouw_api,
            email="nieuw@example.nl",
            full_name="Nieuwe Werkgever Naam",
            employee_number="B-2",
            start_date="2026-12-01",
        ),
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert set(answers[0].json()) == set(answers[1].json())
    assert answers[0].json()["full_name"] == "Naam Van Werkgever"
    assert answers[0].json()["email"] == "Bekend@Example.nl"
    assert answers[1].json()["full_name"] == "Nieuwe Werkgever Naam"
    assert "Privé Naam" not in answers[0].content.decode()
    # The account's own name is untouched by what the employer typed.
    known.refresh_from_db()
    assert known.full_name == "Privé Naam"


def test_roster_list_never_follows_the_accounts_own_name_or_login(bouw_api, known):
    _post(
        bouw_api,
        email="bekend@example.nl",
        full_name="Naam Van Werkgever",
        employee_number="B-1",
        start_date="2026-12-01",
    )
    # The worker later changes their own login address; the employer must not learn it.
    User.objects.filter(pk=known.pk).update(email="prive.login@example.nl")
    body = bouw_api.get(reverse(EMPLOYMENTS)).content.decode()
    assert "Naam Van Werkgever" in body
    assert "bekend@example.nl" in body
    for secret in ACCOUNT_SECRETS:
        assert secret not in body


def test_job_change_hire_keeps_the_employers_name_not_the_accounts(bouw_api, known):
    response = bouw_api.post(
        reverse(HIRE),
        {
            "email": known.email,
            "employee_number": "B-9",
            "start_date": "2026-12-01",
            "full_name": "Naam Van Werkgever",
        },
        format="json",
    )
    assert response.status_code == 201
    assert "Privé Naam" not in response.content.decode()
    employment = Employment.objects.get(pk=response.json()["employment"])
    assert employment.full_name == "Naam Van Werkgever"
    assert "Privé Naam" not in str(employment)


def test_roster_import_and_admin_show_the_employers_name_only(client, hanna, acme, known):
    csv = (
        "personeelsnummer;email;naam;begindatum\r\n"
        "0900;bekend@example.nl;Naam Van Werkgever;01-01-2026\r\n"
    )
    client.force_login(hanna)
    response = client.post(
        reverse("admin:accounts_employment_import"),
        {"employer": acme.pk, "file": SimpleUploadedFile("p.csv", csv.encode())},
        follow=True,
    )
    assert response.status_code == 200
    User.objects.filter(pk=known.pk).update(email="prive.login@example.nl")
    employment = Employment.objects.get(employer=acme, worker=known)
    assert employment.full_name == "Naam Van Werkgever"
    pages = [
        response,
        client.get(reverse("admin:accounts_employment_changelist")),
        client.get(reverse("admin:accounts_employment_change", args=[employment.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        for secret in ACCOUNT_SECRETS:
            assert secret not in body
    assert "Naam Van Werkgever" in pages[1].content.decode()
