"""Account takeover, tried as a stolen session would (issue 16): every path that could turn a
session into a permanent account is refused, with nothing changed."""

# Fixtures imported from portal_fixtures are parameters here, which pyflakes reads as redefinitions.
# ruff: noqa: F811
from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey
from tests.factories import TEST_PASSWORD
from tests.leerrekening.portal_fixtures import (  # noqa: F401 (fixtures)
    celery_eager,
    course,
    funded_alice,
    provider,
)
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
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        reauthenticate(client)
        traveller.shift(settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
        response = _add_address(client)
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()


# --- A new address opens nothing until it is verified -------------------------------------------


def _add_address_reauthenticated(client, email=ATTACKER):
    reauthenticate(client)
    mail.outbox.clear()
    response = _add_address(client, email)
    assert response.status_code == 302
    return EmailAddress.objects.get(email=email)


def _login(client, email, password=TEST_PASSWORD):
    return client.post(reverse("login"), {"login": email, "password": password})


def test_an_added_address_is_unverified_and_only_gets_the_verification_link(client, alice):
    client.force_login(alice)
    address = _add_address_reauthenticated(client)
    assert not address.verified
    assert not address.primary
    alice.refresh_from_db()
    assert alice.email == "alice@example.nl"
    to_attacker = [m for m in mail.outbox if m.to == [ATTACKER]]
    assert len(to_attacker) == 1
    assert "/account/confirm-email/" in to_attacker[0].body


def test_an_unverified_address_cannot_be_made_primary(client, alice):
    client.force_login(alice)
    _add_address_reauthenticated(client)
    client.post(reverse("account_email"), {"email": ATTACKER, "action_primary": ""})
    alice.refresh_from_db()
    assert alice.email == "alice@example.nl"
    assert EmailAddress.objects.get(user=alice, primary=True).email == "alice@example.nl"


def test_an_unverified_address_does_not_log_in(client, alice):
    client.force_login(alice)
    _add_address_reauthenticated(client)
    client.logout()
    response = _login(client, ATTACKER)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200  # the login form again, with its error
    assert _login(client, "alice@example.nl").status_code == 302  # the verified one still works


def _reset(client, email):
    mail.outbox.clear()
    response = client.post(reverse("account_reset_password"), {"email": email})
    return response, [(m.to, m.subject, m.body) for m in mail.outbox]


def test_a_password_reset_never_goes_to_an_unverified_address(client, alice):
    client.force_login(alice)
    _add_address_reauthenticated(client)
    client.logout()
    response, sent = _reset(client, ATTACKER)
    unknown_response, unknown_sent = _reset(client, "niemand@example.org")
    # The same answer as for an address without an account, and no reset link anywhere.
    assert (response.status_code, response["Location"]) == (
        unknown_response.status_code,
        unknown_response["Location"],
    )
    assert [subject for _to, subject, _body in sent] == [s for _t, s, _b in unknown_sent]
    assert all("/account/password/reset/key/" not in body for _to, _s, body in sent)
    # The owner's own verified address still gets a reset link.
    _response, own = _reset(client, "alice@example.nl")
    assert [to for to, _s, _b in own] == [["alice@example.nl"]]
    assert "/account/password/reset/key/" in own[0][2]


def test_booking_codes_and_notices_go_to_the_verified_address_only(
    client, funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(funded_alice)
    _add_address_reauthenticated(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leerrekening:booking-code-send", args=[course.pk]))
    assert [m.to for m in mail.outbox] == [["alice@example.nl"]]


def test_following_the_link_sent_to_the_new_address_makes_it_the_login_address(client, alice):
    client.force_login(alice)
    _add_address_reauthenticated(client)
    link = next(m for m in mail.outbox if m.to == [ATTACKER]).body
    path = link[link.index("/account/confirm-email/") :].split()[0]
    client.post(path)
    alice.refresh_from_db()
    assert alice.email == ATTACKER
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", "verified")) == [
        (ATTACKER, True)
    ]


def test_a_registered_address_is_the_verified_login_address(db):
    from accounts.models import User
    from tests import factories

    for user in [
        factories.UserFactory(email="nieuw@example.nl"),
        User.objects.create_user(email="Rooster@Example.nl", full_name="Uit het rooster"),
    ]:
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.primary, address.verified) == (user.email, True, True)
