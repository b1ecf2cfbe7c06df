"""Provider staff make and revoke their own API keys in the portal; nobody else can."""

import re

import pytest
from django.urls import reverse

from accounts.api_keys import api_key_create
from accounts.models import ApiKey
from tests import factories
from tests.support.auth import reauthenticate, with_second_factor

pytestmark = pytest.mark.django_db


def test_provider_staff_make_a_key_shown_once_and_revoke_it(client, olaf):
    provider = olaf.provider_memberships.get().provider
    client.force_login(olaf)
    reauthenticate(client)
    page = client.post(
        reverse("accounts:provider-api-keys"), {"name": "Planning", "provider": provider.pk}
    )
    shown = re.search(r"lp_[0-9a-f]{12}\.[\w-]+", page.content.decode())
    assert shown
    key = ApiKey.objects.get(provider=provider)
    assert shown.group(0) not in client.get(reverse("accounts:provider-api-keys")).content.decode()
    client.post(reverse("accounts:provider-api-key-revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_staff_of_another_provider_cannot_see_or_revoke_the_key(client, olaf, carla):
    other = factories.ProviderMembershipFactory(user__email="ander@example.nl")
    with_second_factor(other.user)
    key, _ = api_key_create(
        name="Geheim systeem", provider=olaf.provider_memberships.get().provider, by=carla
    )
    client.force_login(other.user)
    assert (
        "Geheim systeem" not in client.get(reverse("accounts:provider-api-keys")).content.decode()
    )
    response = client.post(reverse("accounts:provider-api-key-revoke", args=[key.pk]))
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_a_key_for_a_provider_one_does_not_work_for_is_refused(client, olaf):
    stranger = factories.ProviderFactory()
    client.force_login(olaf)
    reauthenticate(client)
    client.post(reverse("accounts:provider-api-keys"), {"name": "X", "provider": stranger.pk})
    assert not ApiKey.objects.filter(provider=stranger).exists()


@pytest.mark.parametrize("persona", ["alice", "hanna", "amir"])
def test_people_who_are_not_provider_staff_get_no_key_page(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("accounts:provider-api-keys")).status_code == 403
