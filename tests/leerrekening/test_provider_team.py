"""A provider's managers invite colleagues (expiring, single-use links) and remove them (never the
last manager); an IBAN change needs re-authentication, is mailed to every manager and pauses
payouts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leerrekening.models import ProviderInvitation, ProviderMembership
from leerrekening.providers import selectors, services
from tests import factories
from tests.support.auth import reauthenticate, with_second_factor
from tests.support.providers import OTHER_VALID_IBAN, VALID_IBAN

pytestmark = pytest.mark.django_db

TEAM = "/opleider/team/"
DETAILS = "/opleider/gegevens/"


def invite(client, email="nieuw@example.nl", role="staff"):
    return client.post(TEAM, {"email": email, "role": role})


def invitation_link(message) -> str:
    return re.search(r"http\S+/opleider/uitnodiging/\S+/", message.body).group(0)


def test_the_urls_are_as_agreed():
    assert reverse("leerrekening:provider-team") == TEAM
    assert reverse("leerrekening:provider-details") == DETAILS


def test_a_manager_invites_a_colleague_who_makes_an_account(
    client, olaf, provider, django_capture_on_commit_callbacks
):
    client.force_login(olaf)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client)
    assert response.status_code == 302
    invitation = ProviderInvitation.objects.get()
    assert invitation.email == "nieuw@example.nl"
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - datetime.timedelta(days=7)) < datetime.timedelta(seconds=5)
    [message] = mail.outbox
    assert message.to == ["nieuw@example.nl"]
    link = invitation_link(message)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert invitation.token_hash == services.token_hash(token)
    assert token not in invitation.token_hash  # only the hash is stored

    client.logout()
    url = reverse("leerrekening:provider-invitation", args=[token])
    response = client.post(
        url,
        {"account-full_name": "Nina Nieuw", "account-password": "een-lang-Wachtwoord-42"},
    )
    assert response.status_code == 302
    member = provider.memberships.get(user__email="nieuw@example.nl")
    assert member.role == ProviderMembership.Role.STAFF
    assert member.user.emailaddress_set.get().verified
    invitation.refresh_from_db()
    assert invitation.accepted_by == member.user

    # Single use: a second visit is refused and changes nothing.
    response = client.post(
        url, {"account-full_name": "Tweede", "account-password": "een-lang-Wachtwoord-42"}
    )
    assert response.status_code == 404
    assert provider.memberships.count() == 2


def test_a_signed_in_user_accepts_and_is_linked(client, olaf, provider, alice):
    invitation_token = _invitation(provider, olaf, email=alice.email)
    client.force_login(alice)
    response = client.post(reverse("leerrekening:provider-invitation", args=[invitation_token]))
    assert response.status_code == 302
    assert provider.memberships.filter(user=alice).exists()


def _invitation(provider, by, *, email="nieuw@example.nl", role="staff") -> str:
    return services.invitation_create(provider=provider, email=email, by=by, role=role)[1]


def test_an_expired_invitation_is_refused(client, olaf, provider, time_machine):
    token = _invitation(provider, olaf)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=7, seconds=1))
    response = client.post(
        reverse("leerrekening:provider-invitation", args=[token]),
        {"account-full_name": "Te Laat", "account-password": "een-lang-Wachtwoord-42"},
    )
    assert response.status_code == 404
    assert "niet geldig of verlopen" in response.content.decode()
    assert not factories.User.objects.filter(email="nieuw@example.nl").exists()
    assert provider.memberships.count() == 1


def test_a_forged_invitation_is_refused(client, olaf, provider, alice):
    _invitation(provider, olaf)
    client.force_login(alice)
    response = client.post(reverse("leerrekening:provider-invitation", args=["verzonnen-token"]))
    assert response.status_code == 404
    assert not provider.memberships.filter(user=alice).exists()


def test_a_used_invitation_is_refused_for_another_user(client, olaf, provider, alice, bob):
    token = _invitation(provider, olaf)
    services.invitation_accept(token=token, user=alice)
    client.force_login(bob)
    response = client.post(reverse("leerrekening:provider-invitation", args=[token]))
    assert response.status_code == 404
    assert not provider.memberships.filter(user=bob).exists()


def test_staff_who_are_not_managers_cannot_invite(client, olaf_colleague, provider):
    client.force_login(olaf_colleague)
    response = client.post(TEAM, {"email": "nieuw@example.nl", "role": "staff"}, follow=True)
    assert response.status_code == 200
    assert "Alleen een beheerder" in response.content.decode()
    assert not ProviderInvitation.objects.exists()


def test_a_manager_removes_a_colleague(client, olaf, olaf_colleague, provider):
    client.force_login(olaf)
    membership = provider.memberships.get(user=olaf_colleague)
    response = client.post(reverse("leerrekening:provider-team-remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not provider.memberships.filter(user=olaf_colleague).exists()


def test_the_last_manager_cannot_be_removed(client, olaf, olaf_colleague, provider):
    client.force_login(olaf)
    membership = provider.memberships.get(user=olaf)
    response = client.post(
        reverse("leerrekening:provider-team-remove", args=[membership.pk]), follow=True
    )
    assert "laatste beheerder" in response.content.decode()
    assert provider.memberships.filter(user=olaf, role="manager").exists()


def test_staff_cannot_remove_a_manager(client, olaf, olaf_colleague, provider):
    client.force_login(olaf_colleague)
    membership = provider.memberships.get(user=olaf)
    client.post(reverse("leerrekening:provider-team-remove", args=[membership.pk]))
    assert provider.memberships.count() == 2


def test_another_providers_manager_cannot_see_or_remove_our_staff(
    client, wim, olaf, olaf_colleague, provider
):
    client.force_login(wim)
    membership = provider.memberships.get(user=olaf_colleague)
    response = client.post(reverse("leerrekening:provider-team-remove", args=[membership.pk]))
    assert response.status_code == 404
    assert provider.memberships.count() == 2
    assert client.get(f"{TEAM}?opleider={provider.pk}").status_code == 404
    page = client.get(TEAM).content.decode()
    assert "Sanne Staf" not in page
    assert "Olaf" not in page


# --- IBAN -----------------------------------------------------------------------------------------


@pytest.fixture
def second_manager(provider):
    membership = factories.ProviderMembershipFactory(
        provider=provider, user__email="mona@example.nl", user__full_name="Mona Manager"
    )
    return with_second_factor(membership.user)


def test_an_iban_change_without_fresh_reauthentication_is_refused(client, olaf, provider):
    provider.iban = VALID_IBAN
    provider.save()
    client.force_login(olaf)
    response = client.post(DETAILS, {"iban": OTHER_VALID_IBAN})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    provider.refresh_from_db()
    assert provider.iban == VALID_IBAN
    assert provider.payouts_paused_until is None
    assert not mail.outbox


def test_an_iban_change_is_mailed_to_every_manager_and_pauses_payouts(
    client,
    olaf,
    second_manager,
    olaf_colleague,
    provider,
    settings,
    django_capture_on_commit_callbacks,
):
    provider.iban = VALID_IBAN
    provider.save()
    client.force_login(olaf)
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DETAILS, {"iban": "nl44 rabo 0123 4567 89"})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.iban, provider.bic) == (OTHER_VALID_IBAN, "RABONL2U")
    assert provider.payouts_paused_until - provider.iban_changed_at == datetime.timedelta(
        days=settings.PROVIDER_IBAN_COOLING_OFF_DAYS
    )
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "mona@example.nl",
        "olaf@example.nl",
    ]
    assert "RABO" in mail.outbox[0].body
    assert "0123456789" not in mail.outbox[0].body
    today = timezone.localdate()
    assert not selectors.payouts_allowed(provider, on=today)
    assert not selectors.payouts_allowed(provider, on=today + datetime.timedelta(days=14))
    assert selectors.payouts_allowed(provider, on=today + datetime.timedelta(days=15))


def test_a_bad_iban_changes_nothing(client, olaf, provider):
    provider.iban = VALID_IBAN
    provider.save()
    client.force_login(olaf)
    reauthenticate(client)
    response = client.post(DETAILS, {"iban": "NL91ABNA0417164301"})
    assert response.status_code == 200
    assert "De controlecijfers van dit IBAN kloppen niet" in response.content.decode()
    provider.refresh_from_db()
    assert provider.iban == VALID_IBAN
    assert provider.payouts_paused_until is None
    assert not mail.outbox


def test_staff_who_are_not_managers_cannot_change_the_iban(client, olaf_colleague, provider):
    provider.iban = VALID_IBAN
    provider.save()
    client.force_login(olaf_colleague)
    reauthenticate(client)
    client.post(DETAILS, {"iban": OTHER_VALID_IBAN})
    provider.refresh_from_db()
    assert provider.iban == VALID_IBAN
    with pytest.raises(services.ProviderTeamError):
        services.provider_iban_change(provider=provider, iban=OTHER_VALID_IBAN, by=olaf_colleague)


def test_no_payouts_without_an_iban(provider):
    assert provider.iban == ""
    assert not selectors.payouts_allowed(provider)


def test_removing_a_colleague_and_changing_the_iban_are_in_the_audit_trail(
    olaf, olaf_colleague, provider
):
    from django.apps import apps

    services.membership_remove(membership=provider.memberships.get(user=olaf_colleague), by=olaf)
    events = apps.get_model("leerrekening", "ProviderMembershipEvent").objects.filter(
        user=olaf_colleague
    )
    assert {event.pgh_label for event in events} == {"insert", "delete"}
    services.provider_iban_change(provider=provider, iban=VALID_IBAN, by=olaf)
    provider_events = apps.get_model("leerrekening", "ProviderEvent").objects
    assert provider_events.filter(pgh_obj_id=provider.pk, iban=VALID_IBAN).exists()
