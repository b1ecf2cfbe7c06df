"""Logging a conversation on one short form; linking only through the worker's request; unlinking."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ambassadeurs import services
from ambassadeurs.models import Conversation
from tests.support.ambassadors import SECRET_NOTES

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "held_on": timezone.localdate().isoformat(),
        "duration_minutes": "25",
        "channel": "shop_floor",
        "topics": ["career", "learning_account"],
        "outcome": "follow_up",
        "follow_up_on": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
        "private_notes": "Wil leren plannen.",
    }
    data.update(overrides)
    return data


def test_logging_from_a_claimed_request_links_the_worker(client, alice, amir, claimed_request):
    client.force_login(amir)
    url = reverse("ambassadeurs:conversation-create") + f"?hulpvraag={claimed_request.pk}"
    form_page = client.get(url).content.decode()
    assert "<fieldset" in form_page  # multi-selects are grouped with a legend
    response = client.post(url, form_data(hulpvraag=claimed_request.pk, notes_shared="on"))
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.worker == alice
    assert conversation.request == claimed_request
    assert conversation.notes_shared is True
    assert sorted(t.topic for t in conversation.topics.all()) == ["career", "learning_account"]
    claimed_request.refresh_from_db()
    assert claimed_request.status == "done"


def test_logging_without_a_request_is_anonymous_and_cannot_share_notes(
    client, amir, acme, amir_at_acme
):
    client.force_login(amir)
    response = client.post(
        reverse("ambassadeurs:conversation-create"),
        form_data(employer=acme.pk, notes_shared="on"),
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.worker is None
    assert conversation.request is None
    assert conversation.notes_shared is False
    assert conversation.sector == acme.sector


def test_an_ambassador_cannot_log_for_an_employer_they_do_not_serve(
    client, amir, bouw, amir_at_acme
):
    client.force_login(amir)
    response = client.post(reverse("ambassadeurs:conversation-create"), form_data(employer=bouw.pk))
    assert response.status_code == 200  # not a valid choice
    assert not Conversation.objects.exists()


def test_an_ambassador_cannot_log_on_a_request_claimed_by_someone_else(
    client, anouk, claimed_request
):
    client.force_login(anouk)
    url = reverse("ambassadeurs:conversation-create") + f"?hulpvraag={claimed_request.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(hulpvraag=claimed_request.pk)).status_code == 404
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"topics": []}, "Kies minstens één onderwerp."),
        ({"follow_up_on": ""}, "Kies een datum voor het vervolggesprek."),
        (
            {"held_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
            "Een gesprek kan niet in de toekomst liggen.",
        ),
        ({"duration_minutes": "0"}, "Zorg ervoor dat deze waarde minstens 1 is."),
    ],
)
def test_the_form_explains_what_is_missing(client, amir, acme, amir_at_acme, overrides, message):
    client.force_login(amir)
    response = client.post(
        reverse("ambassadeurs:conversation-create"), form_data(employer=acme.pk, **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Conversation.objects.exists()


def test_the_ambassador_corrects_a_conversation(client, amir, linked_conversation):
    client.force_login(amir)
    response = client.post(
        reverse("ambassadeurs:conversation-edit", args=[linked_conversation.pk]),
        form_data(topics=["digital_skills"], outcome="training_booked", follow_up_on=""),
    )
    assert response.status_code == 302
    linked_conversation.refresh_from_db()
    assert linked_conversation.outcome == "training_booked"
    assert [t.topic for t in linked_conversation.topics.all()] == ["digital_skills"]
    assert linked_conversation.worker is not None


def test_the_worker_withdraws_the_link_and_the_conversation_becomes_anonymous(
    client, alice, amir, linked_conversation
):
    linked_conversation.notes_shared = True
    linked_conversation.save(update_fields=["notes_shared"])
    client.force_login(alice)
    response = client.post(
        reverse("ambassadeurs:worker-conversation-unlink", args=[linked_conversation.pk])
    )
    assert response.status_code == 302
    linked_conversation.refresh_from_db()
    assert (linked_conversation.worker, linked_conversation.request) == (None, None)
    assert linked_conversation.notes_shared is False
    assert linked_conversation.private_notes == SECRET_NOTES  # still the ambassador's own notes
    assert (
        client.get(
            reverse("ambassadeurs:worker-conversation", args=[linked_conversation.pk])
        ).status_code
        == 404
    )
    client.force_login(amir)
    body = client.get(
        reverse("ambassadeurs:conversation-detail", args=[linked_conversation.pk])
    ).content.decode()
    assert "Alice" not in body


def test_the_database_refuses_a_worker_link_without_a_request(alice, anonymous_conversation):
    from django.db import IntegrityError, transaction

    anonymous_conversation.worker = alice
    with pytest.raises(IntegrityError), transaction.atomic():
        anonymous_conversation.save(update_fields=["worker"])


def test_follow_up_done_removes_it_from_the_start_page(client, amir, acme, amir_at_acme):
    conversation = services.conversation_log(
        ambassador=amir,
        employer=acme,
        held_on=timezone.localdate(),
        duration_minutes=10,
        channel="phone",
        topics=["career"],
        outcome="follow_up",
        follow_up_on=timezone.localdate(),
    )
    client.force_login(amir)
    detail = reverse("ambassadeurs:conversation-detail", args=[conversation.pk])
    assert detail in client.get(reverse("ambassadeurs:start")).content.decode()
    client.post(reverse("ambassadeurs:conversation-follow-up-done", args=[conversation.pk]))
    start = client.get(reverse("ambassadeurs:start")).content.decode()
    assert "Geen vervolggesprekken voor vandaag." in start
