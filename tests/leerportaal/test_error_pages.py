"""Error pages in the portal's own look, in Dutch and English: 500, 503 (the database is down) and
429 (too many tries); the API answers the same errors in its JSON shape."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client

from leerportaal import views
from tests import factories


@pytest.fixture
def browser(db):
    # A browser sees the page a person would, not the exception the test client raises by default.
    return Client(raise_request_exception=False)


def test_a_bug_shows_the_portals_500_page_not_djangos_bare_one(browser, monkeypatch):
    monkeypatch.setattr(views.health_checks, "run_all", lambda: 1 / 0)

    response = browser.get("/health/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Server Error (500)" not in body
    assert "Er ging iets mis" in body
    assert 'href="/static/css/site.css"' in body
    assert response["Cache-Control"] == "no-store"
    assert "ZeroDivisionError" not in body


def test_the_database_being_down_is_a_503_with_a_retry_hint(browser, monkeypatch):
    def database_down():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views.health_checks, "run_all", database_down)

    response = browser.get("/health/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Leerportaal is even niet bereikbaar" in body
    assert "Probeer het over 5 seconden opnieuw." in body
    assert "server closed the connection" not in body


def test_the_error_pages_are_in_english_for_english_readers(browser, monkeypatch):
    monkeypatch.setattr(views.health_checks, "run_all", lambda: 1 / 0)

    response = browser.get("/health/", headers={"accept-language": "en"})

    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Something went wrong" in body


def test_the_api_answers_a_database_outage_in_its_json_error_shape(rf):
    request = rf.get("/api/v1/me/balance/")
    try:
        raise OperationalError("connection reset")
    except OperationalError:
        response = views.server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert json.loads(response.content) == {
        "code": "service_unavailable",
        "message": "Leerportaal is briefly unavailable. Try again shortly.",
        "retry_after": 5,
    }


def test_too_many_password_reset_requests_show_the_portals_429_page(browser, settings):
    settings.ACCOUNT_RATE_LIMITS = {"reset_password": "2/m/ip"}
    user = factories.UserFactory()

    responses = [browser.post("/account/password/reset/", {"email": user.email}) for _ in range(3)]

    assert responses[-1].status_code == 429
    body = responses[-1].content.decode()
    assert "Te veel pogingen" in body
    assert "Server Error" not in body
