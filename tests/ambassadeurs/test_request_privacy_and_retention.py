"""An open request shows ambassadors the same in the browser as in the API: the account's name
only to the ambassador who claimed it, the contact line the worker chose to show in both. A
request's message and contact line follow the private notes' retention, and moving a
conversation's date cannot extend that retention."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from ambassadeurs import services, tasks
from ambassadeurs.models import Channel, Conversation, ConversationRequest, Outcome, Topic
from tests.support.ambassadors import SECRET_MESSAGE

pytestmark = pytest.mark.django_db

CONTACT = "Fatima, afdeling kassa, 06-12345678"


def _at(year, month, day):
    return time_machine.travel(
        datetime.datetime(year, month, day, 9, 0, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def open_request(alice, acme, amir_at_acme):
    return services.request_create(
        worker=alice,
        employer=acme,
        topic=Topic.LANGUAGE,
        channel=Channel.PHONE,
        message=SECRET_MESSAGE,
        contact=CONTACT,
    )


def _pages(client, found):
    return [
        client.get(reverse("ambassadeurs:start")),
        client.get(reverse("ambassadeurs:request-detail", args=[found.pk])),
    ]


def test_an_open_request_hides_who_asked_in_the_browser_as_in_the_api(client, amir, open_request):
    client.force_login(amir)
    for page in _pages(client, open_request):
        assert page.status_code == 200
        body = page.content.decode()
        assert "Alice Aalbers" not in body
        assert "alice@example.nl" not in body
    assert CONTACT in body  # the detail page: what the worker chose to show
    api = APIClient()
    api.force_authenticate(amir)
    [row] = api.get(reverse("api:v1:ambassador-requests")).json()
    assert row["worker_name"] is None
    assert row["contact"] == CONTACT
    assert "alice@example.nl" not in str(row)


def test_after_claiming_both_show_the_claimer_who_asked(client, amir, anouk, open_request):
    services.request_claim(request=open_request, ambassador=amir)
    client.force_login(amir)
    detail = client.get(reverse("ambassadeurs:request-detail", args=[open_request.pk]))
    assert "Alice Aalbers" in detail.content.decode()
    assert CONTACT in detail.content.decode()
    api = APIClient()
    api.force_authenticate(amir)
    [row] = api.get(reverse("api:v1:ambassador-requests")).json()
    assert row["worker_name"] == "Alice Aalbers"
    assert row["contact"] == CONTACT
    # Another ambassador of the same workplace no longer reaches it at all.
    client.force_login(anouk)
    other = client.get(reverse("ambassadeurs:request-detail", args=[open_request.pk]))
    assert other.status_code == 404
    assert "Alice" not in other.content.decode()


def test_a_requests_message_and_contact_are_erased_with_the_notes(alice, acme, amir_at_acme):
    with _at(2024, 1, 5):
        anonymous = services.request_create(
            worker=alice,
            employer=acme,
            topic=Topic.CAREER,
            channel=Channel.PHONE,
            message=SECRET_MESSAGE,
            contact=CONTACT,
            anonymous=True,
        )
    with _at(2025, 12, 1):
        recent = services.request_create(
            worker=alice, employer=acme, topic=Topic.CAREER, channel=Channel.PHONE, message="Nu"
        )
    with _at(2026, 1, 11):
        tasks.erase_expired_notes()
    anonymous.refresh_from_db()
    recent.refresh_from_db()
    assert (anonymous.message, anonymous.contact) == ("", "")
    assert anonymous.details_erased_at is not None
    # Unanswerable now: withdrawn, so no ambassador claims a request nobody can be reached for.
    assert anonymous.status == ConversationRequest.Status.CANCELLED
    assert recent.message == "Nu"
    assert recent.details_erased_at is None
    assert not ConversationRequest.objects.filter(message__contains=SECRET_MESSAGE).exists()


def test_moving_a_conversations_date_later_does_not_extend_the_retention(amir, acme, amir_at_acme):
    with _at(2024, 1, 10):
        conversation = services.conversation_log(
            ambassador=amir,
            employer=acme,
            held_on=datetime.date(2024, 1, 10),
            duration_minutes=30,
            channel=Channel.PHONE,
            topics=[Topic.CAREER],
            outcome=Outcome.INFORMATION,
            private_notes="Vertrouwelijk en oud",
        )
    with _at(2025, 12, 20):
        # The ambassador "corrects" the date, almost two years on.
        services.conversation_update(
            conversation=conversation,
            ambassador=amir,
            held_on=datetime.date(2025, 12, 19),
            duration_minutes=30,
            channel=Channel.PHONE,
            topics=[Topic.CAREER],
            outcome=Outcome.INFORMATION,
            private_notes="Vertrouwelijk en oud",
        )
    with _at(2026, 1, 11):
        assert tasks.erase_expired_notes() == 1
    conversation = Conversation.objects.get(pk=conversation.pk)
    assert conversation.private_notes == ""
    assert conversation.notes_erased_at is not None
    assert conversation.held_on == datetime.date(2025, 12, 19)  # the countable facts stay
