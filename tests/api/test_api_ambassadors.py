"""Ambassador API: requests in reach (list, claim) and own conversations; everyone else refused."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create
from ambassadeurs.models import Conversation, ConversationRequest
from tests import factories

pytestmark = pytest.mark.django_db
SECRET = "Vertrouwelijk: twijfelt over overstap naar de bouw."


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def alices_request(alice, acme):
    return factories.ConversationRequestFactory(worker=alice, employer=acme)


@pytest.fixture
def amirs_conversation(amir_at_acme, amir, acme):
    return factories.ConversationFactory(ambassador=amir, employer=acme, private_notes=SECRET)


def test_an_ambassador_lists_and_claims_a_request_of_their_workplace(
    api, amir_at_acme, amir, alices_request
):
    api.force_authenticate(amir)
    listed = api.get(reverse("api:v1:ambassador-requests")).json()
    assert [r["id"] for r in listed] == [alices_request.pk]
    assert listed[0]["worker_name"] is None  # who asked shows only after claiming
    claimed = api.post(reverse("api:v1:ambassador-request-claim", args=[alices_request.pk]))
    assert claimed.status_code == 200
    assert claimed.json()["status"] == "claimed"
    assert claimed.json()["worker_name"] == "Alice Aalbers"


def test_a_request_claimed_by_a_colleague_is_out_of_sight_for_the_others(
    api, amir_at_acme, amir, anouk, alices_request
):
    api.force_authenticate(amir)
    api.post(reverse("api:v1:ambassador-request-claim", args=[alices_request.pk]))
    api.force_authenticate(anouk)
    response = api.post(reverse("api:v1:ambassador-request-claim", args=[alices_request.pk]))
    assert response.status_code == 404  # once claimed by amir it is out of anouk's sight
    assert ConversationRequest.objects.get(pk=alices_request.pk).claimed_by == amir


def test_an_ambassador_of_another_workplace_cannot_see_or_claim_it(api, berend, alices_request):
    api.force_authenticate(berend)
    assert api.get(reverse("api:v1:ambassador-requests")).json() == []
    response = api.post(reverse("api:v1:ambassador-request-claim", args=[alices_request.pk]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "overstap" not in response.content.decode()


def test_an_ambassador_logs_a_conversation_from_a_claimed_request(
    api, amir_at_acme, amir, alices_request
):
    api.force_authenticate(amir)
    api.post(reverse("api:v1:ambassador-request-claim", args=[alices_request.pk]))
    response = api.post(
        reverse("api:v1:ambassador-conversations"),
        {
            "held_on": str(datetime.date.today() - datetime.timedelta(days=1)),
            "duration_minutes": 25,
            "channel": "phone",
            "topics": ["career", "choosing_training"],
            "outcome": "information",
            "private_notes": "Wil lassen leren.",
            "request_id": alices_request.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["linked_to_worker"] is True
    assert Conversation.objects.get(pk=response.json()["id"]).worker_id == alices_request.worker_id


def test_conversation_input_errors_name_the_field(api, amir_at_acme, amir, acme):
    api.force_authenticate(amir)
    response = api.post(
        reverse("api:v1:ambassador-conversations"),
        {"held_on": "gisteren", "duration_minutes": 0, "channel": "fax", "topics": [], "outcome": "x",
         "employer_id": acme.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert {"held_on", "duration_minutes", "channel", "topics", "outcome"} <= set(
        response.json()["fields"]
    )


def test_an_ambassador_lists_only_their_own_conversations(api, anouk, amirs_conversation):
    api.force_authenticate(anouk)
    body = api.get(reverse("api:v1:ambassador-conversations"))
    assert body.json() == []
    assert SECRET not in body.content.decode()


@pytest.mark.parametrize("persona", ["alice", "hanna", "olaf", "carla"])
def test_people_who_are_not_ambassadors_get_no_conversations(
    api, request, persona, amirs_conversation
):
    api.force_authenticate(request.getfixturevalue(persona))
    for url in [reverse("api:v1:ambassador-conversations"), reverse("api:v1:ambassador-requests")]:
        response = api.get(url)
        assert response.status_code == 403
        assert SECRET not in response.content.decode()


def test_an_employer_key_gets_no_conversations(api, acme, carla, amirs_conversation):
    _, text = api_key_create(name="Salaris", employer=acme, by=carla)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    response = api.get(reverse("api:v1:ambassador-conversations"))
    assert response.status_code == 403
    assert SECRET not in response.content.decode()
