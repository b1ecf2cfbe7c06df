"""A worker asks for a talk; the ambassadors of their workplace see it, one claims it, the worker is told."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from ambassadeurs import services
from ambassadeurs.models import ConversationRequest
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_worker_sees_the_ambassadors_of_their_workplace_but_not_of_others(
    client, alice, amir_at_acme, berend
):
    client.force_login(alice)
    body = client.get(reverse("ambassadeurs:worker-home")).content.decode()
    assert "Amir Ambassadeur" in body
    assert "Berend" not in body


def test_a_sector_ambassador_serves_every_employer_in_that_sector(client, alice, acme):
    sector_ambassador = factories.UserFactory(full_name="Sonja Sector", is_ambassador=True)
    factories.AmbassadorshipFactory(ambassador=sector_ambassador, employer=None, sector=acme.sector)
    client.force_login(alice)
    assert "Sonja Sector" in client.get(reverse("ambassadeurs:worker-home")).content.decode()


def test_an_ambassador_does_not_see_themself_as_their_own_ambassador(client, amir, amir_at_acme):
    client.force_login(amir)
    body = client.get(reverse("ambassadeurs:worker-home")).content.decode()
    assert "Amir Ambassadeur" not in body


def test_a_worker_asks_for_a_talk_and_the_workplace_ambassador_sees_it(
    client, alice, acme, amir, amir_at_acme, berend
):
    client.force_login(alice)
    response = client.post(
        reverse("ambassadeurs:request-create"),
        {"employer": acme.pk, "topic": "career", "channel": "video", "message": "Graag praten."},
    )
    assert response.status_code == 302
    created = ConversationRequest.objects.get()
    assert (created.worker, created.employer, created.status) == (alice, acme, "open")

    client.force_login(amir)
    assert (
        reverse("ambassadeurs:request-detail", args=[created.pk])
        in client.get(reverse("ambassadeurs:start")).content.decode()
    )
    client.force_login(berend)
    assert (
        reverse("ambassadeurs:request-detail", args=[created.pk])
        not in client.get(reverse("ambassadeurs:start")).content.decode()
    )


def test_an_anonymous_request_needs_a_way_to_reach_the_worker(client, alice, acme):
    client.force_login(alice)
    response = client.post(
        reverse("ambassadeurs:request-create"),
        {"employer": acme.pk, "topic": "career", "channel": "phone", "anonymous": "on"},
    )
    assert response.status_code == 200
    assert "Vul in hoe we je kunnen bereiken" in response.content.decode()
    assert not ConversationRequest.objects.exists()


def test_an_anonymous_request_is_stored_without_the_account_and_has_a_status_link(
    client, alice, acme, amir, amir_at_acme
):
    client.force_login(alice)
    response = client.post(
        reverse("ambassadeurs:request-create"),
        {
            "employer": acme.pk,
            "topic": "language",
            "channel": "phone",
            "anonymous": "on",
            "contact": "Vraag naar A. bij de kassa",
        },
    )
    created = ConversationRequest.objects.get()
    assert created.worker is None
    assert response.url == reverse("ambassadeurs:anonymous-status", args=[created.status_token])
    services.request_claim(request=created, ambassador=amir)
    body = client.get(response.url).content.decode()
    assert "Amir Ambassadeur neemt contact met je op" in body
    # Not on the worker's own page: nothing ties it to her account.
    assert "Taal" not in client.get(reverse("ambassadeurs:worker-home")).content.decode()


def test_a_worker_cannot_ask_at_an_employer_they_do_not_work_for(client, alice, bouw):
    client.force_login(alice)
    response = client.post(
        reverse("ambassadeurs:request-create"),
        {"employer": bouw.pk, "topic": "career", "channel": "phone"},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not ConversationRequest.objects.exists()
    with pytest.raises(services.NotAWorkplace):
        services.request_create(worker=alice, employer=bouw, topic="career", channel="phone")


def test_a_worker_can_have_at_most_three_open_requests(alice, acme):
    for _ in range(services.MAX_OPEN_REQUESTS_PER_WORKER):
        services.request_create(worker=alice, employer=acme, topic="career", channel="phone")
    with pytest.raises(services.TooManyOpenRequests):
        services.request_create(worker=alice, employer=acme, topic="career", channel="phone")


def test_claiming_tells_the_worker_who_will_contact_them_once(
    client,
    alice,
    amir,
    alice_request,
    amir_at_acme,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    client.force_login(amir)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ambassadeurs:request-claim", args=[alice_request.pk]))
    assert response.status_code == 302
    alice_request.refresh_from_db()
    assert (alice_request.status, alice_request.claimed_by) == ("claimed", amir)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.nl"]
    assert "Amir Ambassadeur" in mail.outbox[0].subject
    # The e-mail says who, never what: not the worker's message.
    assert alice_request.message not in mail.outbox[0].body

    from ambassadeurs.tasks import request_claimed_notify

    assert request_claimed_notify(alice_request.pk) is False  # redelivered task: no second mail
    assert len(mail.outbox) == 1

    client.force_login(alice)
    body = client.get(reverse("ambassadeurs:worker-home")).content.decode()
    assert "Amir Ambassadeur neemt contact met je op" in body


def test_the_first_claim_wins_and_a_second_ambassador_is_told(
    client, alice_request, amir, anouk, amir_at_acme
):
    services.request_claim(request=alice_request, ambassador=anouk)
    with pytest.raises(services.NotAllowed):
        # Once claimed, it is no longer visible to other ambassadors at all.
        services.request_claim(request=alice_request, ambassador=amir)
    alice_request.refresh_from_db()
    assert alice_request.claimed_by == anouk


def test_an_ambassador_cannot_claim_their_own_request(amir, acme, amir_at_acme, anouk):
    own = services.request_create(worker=amir, employer=acme, topic="career", channel="phone")
    with pytest.raises(services.NotAllowed):
        services.request_claim(request=own, ambassador=amir)
    services.request_claim(request=own, ambassador=anouk)  # a colleague can


def test_a_worker_can_withdraw_an_open_request(client, alice, alice_request):
    client.force_login(alice)
    client.post(reverse("ambassadeurs:worker-request-cancel", args=[alice_request.pk]))
    alice_request.refresh_from_db()
    assert alice_request.status == "cancelled"
