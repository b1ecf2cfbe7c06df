"""Account takeover, tried as a stolen session would (issue 16): every path that could turn a
session into a permanent account is refused, with nothing changed."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import ApiKey
from tests.factories import TEST_PASSWORD
from tests.support.auth import reauthenticate

pytestmark = pytest.mark.django_db

ATTACKER = "aanvaller@example.org"


def _add_address(client, email=ATTACKER):
    return client.post(reverse("account_email"), {"email": email, "action_add": ""})


# --- Re-authentication ------------------------------------------------------------------------


def test_a_stolen_session_cannot_add_an_address_without_reauthenticating(client, alice):
    client.force_login(alice)
    response = _add_address(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()


def test_a_stolen_session_cannot_change_the_password_without_the_current_one(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "geraden-wachtwoord",
            "password1": "Nieuw-w8woord!",
            "password2": "Nieuw-w8woord!",
        },
    )
    assert response.status_code == 200  # the form refuses it
    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)


def test_a_stolen_session_cannot_change_two_step_settings_without_reauthenticating(client, hanna):
    client.force_login(hanna)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert reverse("account_reauthenticate") in response["Location"]
    assert hanna.authenticator_set.filter(type="totp").exists()


def test_a_stolen_session_cannot_make_a_provider_api_key_without_reauthenticating(client, olaf):
    provider = olaf.provider_memberships.get().provider
    client.force_login(olaf)
    response = client.post(
        reverse("accounts:provider-api-keys"), {"name": "Achterdeur", "provider": provider.pk}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiKey.objects.exists()


def test_the_api_key_is_made_once_the_password_is_given_again(client, olaf):
    provider = olaf.provider_memberships.get().provider
    client.force_login(olaf)
    response = client.post(
        reverse("accounts:provider-api-keys"), {"name": "Planning", "provider": provider.pk}
    )
    # The refused POST is kept and carried out right after the password is given again.
    response = client.post(response["Location"], {"password": TEST_PASSWORD}, follow=True)
    assert ApiKey.objects.filter(provider=provider, name="Planning").count() == 1


def test_a_stolen_session_cannot_make_an_api_key_in_the_admin_without_reauthenticating(
    client, hanna, acme
):
    client.force_login(hanna)
    response = client.post(
        reverse("admin:accounts_apikey_add"), {"name": "Achterdeur", "employer": acme.pk}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiKey.objects.exists()


def test_a_reauthentication_counts_only_for_a_few_minutes(client, alice, settings):
    import time_machine

    client.force_login(alice)
    with time_machine.travel(0, tick=False) as traveller:
        reauthenticate(client)
        traveller.shift(settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
        response = _add_address(client)
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()
