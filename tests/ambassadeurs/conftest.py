"""Fixtures for the ambassador tests, on top of the personas in tests/conftest.py."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from ambassadeurs import services
from ambassadeurs.models import Channel, Outcome, Topic
from leerportaal.celery import app
from tests import factories

SECRET_NOTES = "Vertrouwelijk: wil weg bij Acme, twijfelt over de bouw."
SECRET_MESSAGE = "Ik heb moeite met lezen en durf het niet te zeggen."


@pytest.fixture
def celery_eager():
    """Run tasks in-process, as a worker would, so their effects (e-mails) can be checked."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


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
