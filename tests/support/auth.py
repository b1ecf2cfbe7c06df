"""Signing in as tests do it: a second factor set up, re-authentication through allauth's page."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import TEST_PASSWORD


def reauthenticate(client, password: str = TEST_PASSWORD):
    """Re-enter the password, as allauth asks before a sensitive change (accounts/security.py).
    The session then counts as freshly re-authenticated for ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def with_second_factor(user):
    """Employer staff, provider staff and coordinators must have two-factor set up
    (accounts/security.py)."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, TEST_TOTP_SECRET)
    return user
