"""Who may see a coaching conversation: the ambassador who logged it and the linked worker, nobody else.

Every forbidden access is tried for real and must be refused (403 or 404) with nothing of the
conversation, the request or the notes in the response.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support.ambassadors import SECRET_MESSAGE, SECRET_NOTES

pytestmark = pytest.mark.django_db

OUTSIDERS = ["hanna", "berend", "anouk", "bob", "olaf", "carla"]
# A name and texts that must never appear in a refused response.
LEAKS = [SECRET_NOTES, SECRET_MESSAGE, "Alice Aalbers", "alice@example.nl"]


def assert_refused(response, *, allowed=(403, 404)):
    assert response.status_code in allowed, response.status_code
    body = response.content.decode()
    for leak in LEAKS:
        assert leak not in body


def conversation_urls(conversation):
    return [
        reverse("ambassadeurs:conversation-detail", args=[conversation.pk]),
        reverse("ambassadeurs:conversation-edit", args=[conversation.pk]),
        reverse("ambassadeurs:worker-conversation", args=[conversation.pk]),
    ]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_open_a_conversation_or_its_notes(
    client, request, persona, linked_conversation
):
    client.force_login(request.getfixturevalue(persona))
    for url in conversation_urls(linked_conversation):
        assert_refused(client.get(url))


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_change_unlink_or_close_a_conversation(
    client, request, persona, linked_conversation
):
    client.force_login(request.getfixturevalue(persona))
    pk = linked_conversation.pk
    assert_refused(
        client.post(reverse("ambassadeurs:conversation-edit", args=[pk]), {"private_notes": "x"})
    )
    assert_refused(client.post(reverse("ambassadeurs:worker-conversation-unlink", args=[pk])))
    assert_refused(client.post(reverse("ambassadeurs:conversation-follow-up-done", args=[pk])))
    linked_conversation.refresh_from_db()
    assert linked_conversation.private_notes == SECRET_NOTES
    assert linked_conversation.worker is not None


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_list_conversations_of_others(
    client, request, persona, linked_conversation, anonymous_conversation
):
    client.force_login(request.getfixturevalue(persona))
    for name in [
        "ambassadeurs:conversation-list",
        "ambassadeurs:start",
        "ambassadeurs:worker-home",
    ]:
        response = client.get(reverse(name))
        # Their own page may open (200) but must not show amir's conversations.
        assert response.status_code in (200, 403)
        body = response.content.decode()
        for leak in LEAKS:
            assert leak not in body
        assert (
            reverse("ambassadeurs:conversation-detail", args=[linked_conversation.pk]) not in body
        )


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_open_or_claim_a_claimed_request(
    client, request, persona, claimed_request
):
    client.force_login(request.getfixturevalue(persona))
    assert_refused(client.get(reverse("ambassadeurs:request-detail", args=[claimed_request.pk])))
    assert_refused(client.post(reverse("ambassadeurs:request-claim", args=[claimed_request.pk])))
    assert_refused(
        client.post(reverse("ambassadeurs:worker-request-cancel", args=[claimed_request.pk]))
    )
    claimed_request.refresh_from_db()
    assert claimed_request.status == "claimed"


@pytest.mark.parametrize("persona", ["hanna", "berend", "bob", "olaf", "carla"])
def test_an_open_request_is_seen_only_by_the_ambassadors_of_that_workplace(
    client, request, persona, alice_request, amir_at_acme
):
    client.force_login(request.getfixturevalue(persona))
    assert_refused(client.get(reverse("ambassadeurs:request-detail", args=[alice_request.pk])))
    assert_refused(client.post(reverse("ambassadeurs:request-claim", args=[alice_request.pk])))
    alice_request.refresh_from_db()
    assert alice_request.status == "open"


def test_a_worker_cannot_open_another_workers_conversation(client, bob, linked_conversation):
    client.force_login(bob)
    response = client.get(
        reverse("ambassadeurs:worker-conversation", args=[linked_conversation.pk])
    )
    assert response.status_code == 404
    assert_refused(response)


def test_the_coordinator_cannot_open_one_conversation(client, carla, linked_conversation):
    client.force_login(carla)
    for url in conversation_urls(linked_conversation):
        assert_refused(client.get(url))
    # Not even through the admin: conversations and requests are not registered there.
    for model in ["conversation", "conversationrequest", "conversationtopic"]:
        assert_refused(client.get(f"/admin/ambassadeurs/{model}/"))
        assert_refused(client.get(f"/admin/ambassadeurs/{model}/{linked_conversation.pk}/change/"))


def test_employer_staff_see_no_conversations_in_the_admin(client, hanna, linked_conversation):
    client.force_login(hanna)
    body = client.get("/admin/").content.decode()
    assert "gesprek" not in body.lower()
    for model in ["conversation", "conversationrequest", "ambassadorship"]:
        assert_refused(client.get(f"/admin/ambassadeurs/{model}/"))


def test_employer_staff_and_providers_cannot_see_the_coordinator_figures(
    client, hanna, olaf, amir, alice, linked_conversation
):
    for person in (hanna, olaf, amir, alice):
        client.force_login(person)
        assert_refused(client.get(reverse("ambassadeurs:coordinator-figures")), allowed=(403,))
        assert_refused(
            client.get(reverse("ambassadeurs:coordinator-figures-export")), allowed=(403,)
        )


def test_an_anonymous_visitor_is_sent_to_login(client, linked_conversation):
    for url in conversation_urls(linked_conversation):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_linked_worker_sees_the_conversation_without_private_notes(
    client, alice, linked_conversation
):
    client.force_login(alice)
    response = client.get(
        reverse("ambassadeurs:worker-conversation", args=[linked_conversation.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Amir Ambassadeur" in body
    assert "Taal" in body
    assert SECRET_NOTES not in body


def test_the_linked_worker_sees_notes_the_ambassador_chose_to_share(
    client, alice, amir, linked_conversation
):
    linked_conversation.notes_shared = True
    linked_conversation.save(update_fields=["notes_shared"])
    client.force_login(alice)
    body = client.get(
        reverse("ambassadeurs:worker-conversation", args=[linked_conversation.pk])
    ).content.decode()
    assert SECRET_NOTES in body


def test_an_anonymous_request_shows_no_name_to_the_ambassador(
    client, alice, acme, amir, amir_at_acme
):
    from ambassadeurs import services

    created = services.request_create(
        worker=alice,
        employer=acme,
        topic="career",
        channel="phone",
        message="Anoniem bericht",
        contact="Bel 06-12345678, vraag naar A.",
        anonymous=True,
    )
    assert created.worker is None
    client.force_login(amir)
    body = client.get(reverse("ambassadeurs:request-detail", args=[created.pk])).content.decode()
    assert "Anoniem bericht" in body
    assert "Bel 06-12345678" in body
    assert "Alice" not in body
    assert "alice@example.nl" not in body
