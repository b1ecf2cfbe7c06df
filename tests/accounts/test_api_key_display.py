"""A new API key is shown once, on the page that answers the POST that made it: that page is not
cached (Cache-Control: no-store) and the key never travels in the messages cookie or session."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import ApiKey
from tests.support.auth import reauthenticate

pytestmark = pytest.mark.django_db

KEY = re.compile(r"lp_[0-9a-f]{12}\.[\w-]+")


def _assert_not_cached(response) -> None:
    cache_control = response.headers.get("Cache-Control", "")
    assert "no-store" in cache_control
    assert "private" in cache_control or "no-cache" in cache_control


def _assert_key_nowhere_else(client, response, text: str) -> None:
    for cookie in client.cookies.values():
        assert text not in cookie.value
        assert text.split(".", 1)[1] not in cookie.value
    for header, value in response.headers.items():
        assert text not in value, header
    assert not [m for m in get_messages(response.wsgi_request) if text in str(m)]
    session = client.session
    assert all(text not in str(value) for _name, value in session.items())


def test_an_admin_key_is_shown_once_on_an_uncached_page_not_via_messages(client, hanna, acme):
    client.force_login(hanna)
    reauthenticate(client)  # making a key asks for the password again
    response = client.post(
        reverse("admin:accounts_apikey_add"), {"name": "Salarissysteem", "employer": acme.pk}
    )
    assert response.status_code == 200  # the key page itself, not a redirect with a message
    shown = KEY.search(response.content.decode())
    assert shown
    text = shown.group(0)
    _assert_not_cached(response)
    _assert_key_nowhere_else(client, response, text)
    key = ApiKey.objects.get(employer=acme)
    # The next pages never show it again.
    for url in (
        reverse("admin:accounts_apikey_changelist"),
        reverse("admin:accounts_apikey_change", args=[key.pk]),
        reverse("admin:index"),
    ):
        assert text not in client.get(url).content.decode()


def test_a_provider_key_is_shown_once_on_an_uncached_page_not_via_messages(client, olaf):
    provider = olaf.provider_memberships.get().provider
    client.force_login(olaf)
    reauthenticate(client)
    response = client.post(
        reverse("accounts:provider-api-keys"), {"name": "Planning", "provider": provider.pk}
    )
    assert response.status_code == 200
    text = KEY.search(response.content.decode()).group(0)
    _assert_not_cached(response)
    _assert_key_nowhere_else(client, response, text)
    assert text not in client.get(reverse("accounts:provider-api-keys")).content.decode()
