"""Account takeover, tried as a stolen session would (issue 16): every path that could turn a
session into a permanent account is refused, with nothing changed."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

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
    assert client.get(reverse("account_email")).status_code == 200  # looking is free
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


# --- The old address is told, and "dit was ik niet" freezes the account -------------------------

FREEZE_LINK = re.compile(r"https?://testserver(/account/dit-was-ik-niet/[^/\s]+/)")


def _freeze_path(message) -> str:
    found = FREEZE_LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def _notices_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_the_old_address_is_told_of_an_added_address_with_the_freeze_link(client, alice):
    client.force_login(alice)
    _add_address_reauthenticated(client)
    [notice] = _notices_to("alice@example.nl")
    assert ATTACKER in notice.body
    assert _freeze_path(notice)


def test_the_old_address_is_told_when_the_new_one_takes_over(client, alice):
    client.force_login(alice)
    _add_address_reauthenticated(client)
    link = next(m for m in mail.outbox if m.to == [ATTACKER]).body
    mail.outbox.clear()
    client.post(link[link.index("/account/confirm-email/") :].split()[0])
    [notice] = _notices_to("alice@example.nl")
    assert ATTACKER in notice.body
    assert _freeze_path(notice)
    assert not [m for m in mail.outbox if m.to == [ATTACKER] and FREEZE_LINK.search(m.body)]


def test_the_address_is_told_of_a_password_change_with_the_freeze_link(client, alice):
    client.force_login(alice)
    mail.outbox.clear()
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "Nieuw-w8woord!x",
            "password2": "Nieuw-w8woord!x",
        },
    )
    alice.refresh_from_db()
    assert alice.check_password("Nieuw-w8woord!x")
    [notice] = _notices_to("alice@example.nl")
    assert _freeze_path(notice)


def test_the_address_is_told_of_a_two_step_change_with_the_freeze_link(client, hanna):
    client.force_login(hanna)
    reauthenticate(client)
    mail.outbox.clear()
    client.post(reverse("mfa_deactivate_totp"))
    assert not hanna.authenticator_set.filter(type="totp").exists()
    [notice] = _notices_to("hanna@example.nl")
    assert _freeze_path(notice)


def _freeze_link_for(user) -> str:
    from accounts.takeover import freeze_url

    return freeze_url(user=user)


def test_dit_was_ik_niet_freezes_the_account_and_signs_out_every_session(
    client,
    funded_alice,
    course,
    carla,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    from django.test import Client

    from accounts.models import User
    from leerrekening.bookings import services as booking_services
    from leerrekening.models import Booking

    stolen = Client()
    stolen.force_login(funded_alice)
    assert stolen.get(reverse("leerrekening:dashboard")).status_code == 200
    path = _freeze_link_for(funded_alice)
    assert client.get(path).status_code == 200  # opening the link only asks
    assert User.objects.get(pk=funded_alice.pk).frozen_at is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code == 200
    frozen = User.objects.get(pk=funded_alice.pk)
    assert frozen.frozen_at is not None
    # The stolen session is signed out at its next request, and its session is gone.
    response = stolen.get(reverse("leerrekening:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in stolen.session
    # Coordinators are told.
    assert [m.to for m in mail.outbox] == [["carla@example.nl"]]
    assert str(frozen.pk) in mail.outbox[0].body
    # Nothing is booked: not by the service, not through the page after a fresh login.
    with pytest.raises(booking_services.AccountFrozen):
        booking_services.booking_create(
            worker=frozen,
            course=course,
            work_related=True,
            pays_rest_self=False,
            request_token="t-frozen",
        )
    again = Client()
    again.force_login(frozen)
    response = again.post(
        reverse("leerrekening:booking-create", args=[course.pk]),
        {
            "request_token": "t2",
            "work_related": "yes",
            "confirm_with": "password",
            "password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_a_frozen_account_changes_nothing(client, alice, course):
    from accounts.takeover import account_freeze
    from leerrekening.models import Booking

    account_freeze(user=alice)
    alice.refresh_from_db()
    client.force_login(alice)
    assert (
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD}).status_code
        == 403
    )
    assert _add_address(client).status_code == 403
    assert (
        client.post(
            reverse("account_change_password"),
            {
                "oldpassword": TEST_PASSWORD,
                "password1": "Nieuw-w8woord!x",
                "password2": "Nieuw-w8woord!x",
            },
        ).status_code
        == 403
    )
    response = client.post(
        "/api/v1/me/bookings/",
        {"course": course.pk, "work_related": True, "password": TEST_PASSWORD},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "account_frozen"
    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()
    assert not Booking.objects.exists()
    assert client.get(reverse("leerrekening:dashboard")).status_code == 200  # reading stays


def test_the_freeze_link_is_signed_single_purpose_expiring_and_works_once(client, alice, settings):
    import time_machine
    from django.core import signing

    from accounts.models import User

    path = _freeze_link_for(alice)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"u": alice.pk, "r": ""}, compress=True)  # right payload, no salt
    for bad in [token[:-2] + "xx", forged]:
        assert client.post(reverse("accounts:account-freeze", args=[bad])).status_code == 400
    with time_machine.travel(timezone.now()) as traveller:
        traveller.shift(settings.ACCOUNT_FREEZE_LINK_MAX_AGE + 60)
        assert client.post(path).status_code == 400
    assert User.objects.get(pk=alice.pk).frozen_at is None
    assert client.post(path).status_code == 200
    assert User.objects.get(pk=alice.pk).frozen_at is not None
    assert client.post(path).status_code == 400  # spent


def test_only_a_coordinator_unfreezes_in_the_admin(client, alice, carla, hanna):
    from accounts.models import User
    from accounts.takeover import account_freeze

    account_freeze(user=alice)
    changelist = reverse("admin:accounts_user_changelist")
    client.force_login(hanna)
    client.post(changelist, {"action": "unfreeze", "_selected_action": [alice.pk]})
    assert User.objects.get(pk=alice.pk).frozen_at is not None
    client.force_login(carla)
    listing = client.get(changelist + "?frozen_at__isempty=0").content.decode()
    assert "alice@example.nl" in listing
    client.post(changelist, {"action": "unfreeze", "_selected_action": [alice.pk]})
    assert User.objects.get(pk=alice.pk).frozen_at is None


# --- A second factor: app or passkey; required for provider staff too --------------------------


def test_provider_staff_without_a_second_factor_must_set_one_up_first(client, db):
    from tests import factories

    staff = factories.ProviderMembershipFactory(user__email="nieuw@opleider.nl").user
    client.force_login(staff)
    for path in [reverse("leerrekening:provider-start"), reverse("accounts:provider-api-keys")]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_index")
    response = client.get("/api/v1/me/account/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_provider_staff_with_a_second_factor_get_in(client, olaf):
    client.force_login(olaf)
    assert client.get(reverse("leerrekening:provider-start")).status_code == 200


def test_anyone_may_add_a_passkey_after_reauthenticating(client, alice):
    client.force_login(alice)
    index = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_add_webauthn") in index
    assert client.get(reverse("mfa_add_webauthn"))["Location"].startswith(
        reverse("account_reauthenticate")
    )
    reauthenticate(client)
    page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200
    assert "mfa/js/webauthn.js" in page.content.decode()


def test_a_passkey_counts_as_the_required_second_factor(client, db):
    from allauth.mfa.models import Authenticator

    from tests import factories

    staff = factories.ProviderMembershipFactory(user__email="sleutel@opleider.nl").user
    Authenticator.objects.create(
        user=staff,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Telefoon", "passwordless": False},
    )
    client.force_login(staff)
    assert client.get(reverse("leerrekening:provider-start")).status_code == 200


def test_the_migration_records_each_existing_login_address_as_verified(db):
    import importlib

    from django.db import connection

    from accounts.models import User
    from tests import factories

    migration = importlib.import_module("accounts.migrations.0005_login_addresses_verified")
    without_row = factories.UserFactory(email="zonder@example.nl")
    unverified = factories.UserFactory(email="onbevestigd@example.nl")
    EmailAddress.objects.filter(user=without_row).delete()
    EmailAddress.objects.filter(user=unverified).update(verified=False, primary=False)
    EmailAddress.objects.create(user=unverified, email=ATTACKER, verified=False, primary=False)
    with connection.cursor() as cursor:
        for statement in migration.FORWARD:
            cursor.execute(statement)
    for user in User.objects.filter(pk__in=[without_row.pk, unverified.pk]):
        assert EmailAddress.objects.filter(
            user=user, email=user.email, primary=True, verified=True
        ).exists()
    assert not EmailAddress.objects.get(email=ATTACKER).verified  # an added address stays so
