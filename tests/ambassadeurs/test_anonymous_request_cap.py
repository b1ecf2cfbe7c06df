"""Anonymous requests carry no account, so they are capped per client address (issue 16); a
forged X-Forwarded-For neither escapes the cap nor spends another address's allowance."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ambassadeurs.models import ConversationRequest
from tests import factories

pytestmark = pytest.mark.django_db


def ask(client, employer, *, address="203.0.113.7", anonymous=True, **headers):
    data = {"employer": employer.pk, "topic": "language", "channel": "phone"}
    if anonymous:
        data.update(anonymous="on", contact="Vraag naar A. bij de kassa")
    return client.post(reverse("ambassadeurs:request-create"), data, REMOTE_ADDR=address, **headers)


@pytest.fixture
def capped(settings):
    settings.AMBASSADEURS_ANONYMOUS_REQUESTS_PER_HOUR = 3


def test_anonymous_requests_over_the_cap_per_address_are_refused_with_429(
    client, alice, acme, capped
):
    client.force_login(alice)
    for _ in range(3):
        assert ask(client, acme).status_code == 302
    refused = ask(client, acme)
    assert refused.status_code == 429
    assert "vanaf deze plek al veel vragen zonder naam" in refused.content.decode()
    assert ConversationRequest.objects.count() == 3


def test_a_forged_forwarded_for_does_not_escape_the_cap(client, alice, acme, capped):
    client.force_login(alice)
    for n in range(3):
        ask(client, acme, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert ask(client, acme, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    assert ConversationRequest.objects.count() == 3


def test_behind_a_trusted_proxy_each_client_address_has_its_own_cap(
    client, alice, acme, capped, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(alice)
    proxy = "10.0.0.2"
    for _ in range(3):
        ask(client, acme, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert ask(client, acme, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Another worker behind the same proxy is not locked out by the first one.
    other = factories.UserFactory()
    factories.EmploymentFactory(worker=other, employer=acme)
    client.force_login(other)
    assert ask(client, acme, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_requests_with_the_name_are_not_capped_per_address(client, alice, acme, capped):
    client.force_login(alice)
    for _ in range(3):
        ask(client, acme)
    assert ask(client, acme, anonymous=False).status_code == 302
