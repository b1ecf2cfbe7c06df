"""The REST API: schema and docs, errors as JSON with a stable code, role scoping (404 for others)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.models import Employment
from leerrekening import ledger
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def acme_key(acme, carla):
    _, text = api_key_create(name="Salaris", employer=acme, by=carla)
    return text


@pytest.fixture
def bouw_key(bouw, carla):
    _, text = api_key_create(name="Salaris", employer=bouw, by=carla)
    return text


def test_the_schema_is_openapi_3_and_the_docs_render_offline(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/me/account/" in body["paths"]
    assert "ApiKey" in body["components"]["securitySchemes"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


def test_my_account_shows_balance_reserved_available_and_tranches(api, acme, alice):
    funder = factories.FunderFactory(employer=acme)
    fund("500.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("300.00"), idempotency_key="d",
        ends_on=datetime.date(2030, 1, 1),
    )  # fmt: skip
    ledger.reservation_create(
        worker=alice,
        provider=factories.ProviderFactory(),
        amount=Decimal("100.00"),
        idempotency_key="r",
    )
    api.force_authenticate(alice)
    body = api.get(reverse("api:v1:me-account")).json()
    assert body["balance"] == "300.00"
    assert body["reserved"] == "100.00"
    assert body["available"] == "200.00"
    assert body["tranches"] == [
        {
            "funder": acme.name,
            "source": "cao",
            "amount": "300.00",
            "remaining": "200.00",
            "ends_on": "2030-01-01",
            "at_end": "return",
        }
    ]


def test_my_transfers_page_by_keyset(api, acme, alice):
    funder = factories.FunderFactory(employer=acme)
    fund("100.00", funder=funder)
    for i in range(5):
        ledger.deposit_create(
            funder=funder, worker=alice, amount=Decimal("1.00"), idempotency_key=f"d{i}"
        )
    api.force_authenticate(alice)
    first = api.get(reverse("api:v1:me-transfers"), {"limit": 3}).json()
    assert len(first["results"]) == 3
    second = api.get(
        reverse("api:v1:me-transfers"), {"limit": 3, "before": first["next_before"]}
    ).json()
    assert len(second["results"]) == 2
    assert second["next_before"] is None
    ids = [e["id"] for e in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True)


def test_bad_query_input_is_a_validation_error_not_a_500(api, alice):
    api.force_authenticate(alice)
    response = api.get(reverse("api:v1:me-transfers"), {"limit": "veel"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "limit" in response.json()["fields"]


def test_anonymous_calls_get_a_json_error_with_a_code(api):
    response = api.get(reverse("api:v1:me-account"))
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_or_unknown_key_is_refused(api, acme, carla):
    key, text = api_key_create(name="Oud", employer=acme, by=carla)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    assert api.get(reverse("api:v1:employer-employments")).status_code == 200
    api_key_revoke(key=key)
    response = api.get(reverse("api:v1:employer-employments"))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    api.credentials(HTTP_AUTHORIZATION="Api-Key lp_nothing.here")
    assert api.get(reverse("api:v1:employer-employments")).status_code == 401


def test_keys_are_stored_hashed_and_shown_once(acme, carla):
    key, text = api_key_create(name="Salaris", employer=acme, by=carla)
    assert text.startswith(f"lp_{key.prefix}.")
    secret = text.split(".", 1)[1]
    key.refresh_from_db()
    assert secret not in key.key_hash
    assert len(key.key_hash) == 64


def test_an_employer_key_lists_only_its_own_roster(api, acme_key, alice, bob):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {acme_key}")
    body = api.get(reverse("api:v1:employer-employments")).json()
    numbers = [row["employee_number"] for row in body["results"]]
    assert numbers == ["000101"]
    assert "bob" not in str(body).lower()


def test_an_employer_key_adds_an_employment_and_overlap_is_a_clear_409(api, acme_key, acme):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {acme_key}")
    payload = {
        "email": "nieuw@example.nl",
        "full_name": "Nieuwe Collega",
        "employee_number": "000999",
        "start_date": "2026-01-01",
    }
    created = api.post(reverse("api:v1:employer-employments"), payload, format="json")
    assert created.status_code == 201
    assert Employment.objects.filter(employer=acme, employee_number="000999").exists()
    again = api.post(reverse("api:v1:employer-employments"), payload, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "employment_overlap"


def test_employment_input_errors_name_the_field(api, acme_key):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {acme_key}")
    response = api.post(
        reverse("api:v1:employer-employments"),
        {"email": "geen-mail", "full_name": "X", "employee_number": "1", "start_date": "morgen"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"email", "start_date"}


@pytest.mark.parametrize("url_name", ["api:v1:me-account", "api:v1:me-transfers"])
def test_an_employer_key_cannot_read_a_workers_account(api, acme_key, alice, url_name):
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {acme_key}")
    response = api.get(reverse(url_name))
    assert response.status_code == 403
    assert "balance" not in response.content.decode()


def test_a_worker_cannot_use_the_employer_api(api, alice):
    api.force_authenticate(alice)
    assert api.get(reverse("api:v1:employer-employments")).status_code == 403
