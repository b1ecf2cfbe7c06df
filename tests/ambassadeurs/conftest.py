"""Fixtures for the ambassador tests, on top of the personas (and celery_eager) in
tests/conftest.py."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from ambassadeurs import services
from ambassadeurs.models import Channel, Outcome, Topic
from tests import factories
from tests.support.ambassadors import SECRET_MESSAGE, SECRET_NOTES


@pytest.fixture
def alice_request(alice, acme):
    return services.request_create(
        worker=alice,
        employer=acme,
        topic=Topic.LANGUAGE,
        channel=Channel.PHONE,
        message=SECRET_MESSAGE,
    )


@pytest.fixture
def claimed_request(alice_request, amir, amir_at_acme):
    return services.request_claim(request=alice_request, ambassador=amir)


@pytest.fixture
def linked_conversation(claimed_request, amir):
    """amir's conversation with alice, linked through her request, with private notes."""
    return services.conversation_log(
        ambassador=amir,
        request=claimed_request,
        held_on=timezone.localdate() - datetime.timedelta(days=1),
        duration_minutes=40,
        channel=Channel.PHONE,
        topics=[Topic.LANGUAGE, Topic.CHOOSING_TRAINING],
        outcome=Outcome.INFORMATION,
        private_notes=SECRET_NOTES,
    )


@pytest.fixture
def anonymous_conversation(amir, acme, amir_at_acme):
    return factories.ConversationFactory(
        ambassador=amir, employer=acme, private_notes=SECRET_NOTES + " (anoniem)"
    )
