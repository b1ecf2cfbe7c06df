"""A favicon and icons, linked from every page: the portal's, the admin's and the error pages."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from leerportaal import views

ICON_LINK = 'rel="icon" href="/static/icons/favicon.svg"'


@pytest.mark.parametrize("path", ["/inloggen/", "/admin/login/", "/account/password/reset/"])
def test_every_page_links_the_icons(client, db, path):
    response = client.get(path, follow=True)

    body = response.content.decode()
    assert ICON_LINK in body
    assert 'rel="apple-touch-icon"' in body
    assert 'rel="manifest"' in body


def test_an_error_page_links_the_icons(db, monkeypatch):
    monkeypatch.setattr(views.health_checks, "run_all", lambda: 1 / 0)

    response = Client(raise_request_exception=False).get("/health/")

    assert response.status_code == 500
    assert ICON_LINK in response.content.decode()


def test_favicon_ico_is_found_not_a_404(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/icons/favicon.ico"
    served = client.get(response["Location"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[6 + 16 :][:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "name", ["favicon-32.png", "apple-touch-icon.png", "icon-192.png", "icon-512.png"]
)
def test_the_icons_are_real_pngs(name):
    path = finders.find(f"icons/{name}")

    assert path is not None
    with open(path, "rb") as icon:
        assert icon.read(8) == b"\x89PNG\r\n\x1a\n"
