"""List pages run a fixed number of queries, however many rows there are."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from ambassadeurs import services
from tests import factories

pytestmark = pytest.mark.django_db


def fill(amir, alice, acme, *, n):
    for i in range(n):
        factories.ConversationFactory(
            ambassador=amir,
            employer=acme,
            held_on=datetime.date.today() - datetime.timedelta(days=30 * (i % 12)),
            outcome="follow_up",
            follow_up_on=datetime.date.today(),
            topic_list=["career", "language"],
        )
        request = factories.ConversationRequestFactory(worker=alice, employer=acme)
        if i % 2:
            services.request_claim(request=request, ambassador=amir)
    for request in factories.ConversationRequestFactory.create_batch(
        n, worker=alice, employer=acme
    ):
        services.request_claim(request=request, ambassador=amir)
        services.conversation_log(
            ambassador=amir,
            request=request,
            held_on=datetime.date.today(),
            duration_minutes=10,
            channel="phone",
            topics=["career"],
            outcome="information",
        )


@pytest.mark.parametrize(
    ("persona", "url_name", "max_queries"),
    [
        ("amir", "ambassadeurs:start", 16),
        ("amir", "ambassadeurs:conversation-list", 9),
        ("alice", "ambassadeurs:worker-home", 10),
        ("carla", "ambassadeurs:coordinator-figures", 12),
    ],
)
def test_list_pages_do_not_grow_with_data(
    client,
    request,
    django_assert_max_num_queries,
    amir,
    alice,
    carla,
    acme,
    amir_at_acme,
    persona,
    url_name,
    max_queries,
):
    client.force_login(request.getfixturevalue(persona))
    fill(amir, alice, acme, n=3)
    with django_assert_max_num_queries(max_queries):
        assert client.get(reverse(url_name)).status_code == 200
    fill(amir, alice, acme, n=12)
    with django_assert_max_num_queries(max_queries):
        assert client.get(reverse(url_name)).status_code == 200
