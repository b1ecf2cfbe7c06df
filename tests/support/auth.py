"""Signing in as a test does it: re-authentication through allauth's own page."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import TEST_PASSWORD


def reauthenticate(client, password: str = TEST_PASSWORD):
    """Re-enter the password, as allauth asks before a sensitive change (accounts/security.py).
    The session then counts as freshly re-authenticated for ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response
