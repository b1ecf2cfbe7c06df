"""The error pages on a phone: readable, in the portal's look, without serious axe violations."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from leerportaal import views

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def database_down():
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.parametrize(
    ("broken", "status", "heading"),
    [
        (database_down, 503, "Leerportaal is even niet bereikbaar"),
        (lambda: 1 / 0, 500, "Er ging iets mis"),
    ],
)
def test_error_pages_are_accessible_on_a_phone(
    live_server, phone_page, axe_check, assert_fits_the_screen, monkeypatch, broken, status, heading
):
    monkeypatch.setattr(views.health_checks, "run_all", broken)
    page = phone_page()

    response = page.goto(f"{live_server.url}/health/")

    assert response.status == status
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_role("link", name="Naar mijn startpagina").is_visible()
    axe_check(page)
    assert_fits_the_screen(page)
