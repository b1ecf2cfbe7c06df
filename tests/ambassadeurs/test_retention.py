"""Private notes are erased after the retention period; the countable facts stay for the figures."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from ambassadeurs import services, tasks
from ambassadeurs.models import Conversation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_and_new(amir, acme):
    old = factories.ConversationFactory(
        ambassador=amir,
        employer=acme,
        held_on=datetime.date(2024, 1, 10),
        private_notes="Oude notitie",
        topic_list=["career", "language"],
    )
    new = factories.ConversationFactory(
        ambassador=amir, employer=acme, held_on=datetime.date(2024, 6, 1), private_notes="Nieuw"
    )
    return old, new


def test_notes_older_than_the_period_are_erased_and_the_counts_remain(old_and_new, acme):
    old, new = old_and_new
    with time_machine.travel(datetime.datetime(2026, 1, 11, 3, 0, tzinfo=datetime.UTC), tick=False):
        assert tasks.erase_expired_notes() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.private_notes == ""
    assert old.notes_erased_at is not None
    assert new.private_notes == "Nieuw"
    # Countable facts stay.
    assert (old.held_on, old.duration_minutes, old.channel, old.outcome, old.employer) == (
        datetime.date(2024, 1, 10),
        30,
        "shop_floor",
        "information",
        acme,
    )
    assert sorted(t.topic for t in old.topics.all()) == ["career", "language"]
    assert Conversation.objects.count() == 2


def test_notes_are_kept_until_the_period_has_passed(old_and_new):
    old, _new = old_and_new
    with time_machine.travel(datetime.datetime(2026, 1, 10, 3, 0, tzinfo=datetime.UTC), tick=False):
        assert tasks.erase_expired_notes() == 0
    old.refresh_from_db()
    assert old.private_notes == "Oude notitie"


def test_erasing_twice_changes_nothing_the_second_time(old_and_new):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 3, 0, tzinfo=datetime.UTC), tick=False):
        assert tasks.erase_expired_notes() == 2
        erased_at = list(Conversation.objects.values_list("notes_erased_at", flat=True))
        assert tasks.erase_expired_notes() == 0
        assert list(Conversation.objects.values_list("notes_erased_at", flat=True)) == erased_at


def test_the_period_is_configurable(settings, old_and_new):
    settings.AMBASSADEURS_NOTES_RETENTION_MONTHS = 6
    with time_machine.travel(datetime.datetime(2024, 7, 11, 3, 0, tzinfo=datetime.UTC), tick=False):
        assert services.notes_retention_cutoff() == datetime.date(2024, 1, 11)
        assert tasks.erase_expired_notes() == 1


def test_the_cutoff_handles_short_months():
    assert services.notes_retention_cutoff(today=datetime.date(2026, 2, 28)) == datetime.date(
        2024, 2, 28
    )
    assert services.notes_retention_cutoff(today=datetime.date(2026, 3, 31)) == datetime.date(
        2024, 3, 31
    )


def test_erased_notes_stay_erased_when_the_ambassador_edits(client, amir, old_and_new):
    old, _ = old_and_new
    with time_machine.travel(datetime.datetime(2026, 7, 1, 3, 0, tzinfo=datetime.UTC), tick=False):
        tasks.erase_expired_notes()
    client.force_login(amir)
    body = client.get(reverse("ambassadeurs:conversation-detail", args=[old.pk])).content.decode()
    assert "Gewist na de bewaartermijn." in body
    old.refresh_from_db()
    services.conversation_update(
        conversation=old,
        ambassador=amir,
        held_on=old.held_on,
        duration_minutes=30,
        channel="shop_floor",
        topics=["career"],
        outcome="information",
        private_notes="Terug erin?",
    )
    old.refresh_from_db()
    assert old.private_notes == ""


def test_the_beat_schedule_runs_the_erasure(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ambassadeurs.tasks.erase_expired_notes" in tasks_scheduled
    assert "ambassadeurs.tasks.follow_up_reminders_enqueue" in tasks_scheduled
    assert settings.AMBASSADEURS_NOTES_RETENTION_MONTHS == 24
