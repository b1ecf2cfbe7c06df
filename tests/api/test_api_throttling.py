"""Every API call is throttled (issue 16): per API key, per signed-in person, per address
otherwise; over the rate a 429 with Retry-After and the API's JSON error shape."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "user": "3/min", "anon": "3/min"},
    }


def assert_throttled(response):
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"code", "message"}
    assert int(response["Retry-After"]) > 0


def test_a_person_over_the_rate_gets_429_with_retry_after(alice, low_rates):
    client = APIClient()
    client.force_authenticate(alice)
    url = reverse("api:v1:me-account")
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert_throttled(client.get(url))


def test_an_api_key_over_the_rate_gets_429_and_another_key_is_not_affected(
    employer_api, acme, bouw, low_rates
):
    acme_api, bouw_api = employer_api(acme), employer_api(bouw)
    url = reverse("api:v1:employer-employments")
    for _ in range(3):
        assert acme_api.get(url).status_code == 200
    assert_throttled(acme_api.get(url))
    assert bouw_api.get(url).status_code == 200


def test_money_calls_are_throttled_too(alice, low_rates):
    client = APIClient()
    client.force_authenticate(alice)
    url = reverse("api:v1:me-bookings")
    for n in range(3):
        client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"k{n}")
    assert_throttled(client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k9"))


def test_the_default_rates_let_ordinary_use_through(alice):
    client = APIClient()
    client.force_authenticate(alice)
    url = reverse("api:v1:me-account")
    assert all(client.get(url).status_code == 200 for _ in range(30))


def test_anonymous_callers_are_throttled_per_address(low_rates):
    client = APIClient()
    url = reverse("api:schema")  # open to all
    for _ in range(3):
        assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 200
    refused = client.get(
        url,
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="10.1.2.3",
        HTTP_ACCEPT="application/json",
    )
    assert_throttled(refused)
    assert client.get(url, REMOTE_ADDR="203.0.113.6").status_code == 200
