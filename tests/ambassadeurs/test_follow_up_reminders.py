"""Follow-ups due are on the start page and also e-mailed, once, without the conversation's content."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from ambassadeurs import tasks
from tests import factories
from tests.support.ambassadors import SECRET_NOTES

pytestmark = pytest.mark.django_db


def test_due_follow_ups_are_e_mailed_once_per_ambassador(amir, berend, acme, celery_eager):
    today = datetime.date.today()
    for days in (0, -3):
        factories.ConversationFactory(
            ambassador=amir,
            employer=acme,
            outcome="follow_up",
            follow_up_on=today + datetime.timedelta(days=days),
            private_notes=SECRET_NOTES,
        )
    factories.ConversationFactory(  # not due yet
        ambassador=berend, outcome="follow_up", follow_up_on=today + datetime.timedelta(days=5)
    )
    assert tasks.follow_up_reminders_enqueue() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["amir@example.nl"]
    assert "2 vervolgafspraken" in mail.outbox[0].subject
    assert SECRET_NOTES not in mail.outbox[0].body

    # The next beat, or a redelivered task: nothing new.
    assert tasks.follow_up_reminders_enqueue() == 0
    assert tasks.follow_up_reminder_send(amir.pk) == 0
    assert len(mail.outbox) == 1


def test_done_follow_ups_are_not_reminded(amir, acme):
    factories.ConversationFactory(
        ambassador=amir,
        employer=acme,
        outcome="follow_up",
        follow_up_on=datetime.date.today(),
        follow_up_done=True,
    )
    assert tasks.follow_up_reminder_send(amir.pk) == 0
    assert mail.outbox == []
