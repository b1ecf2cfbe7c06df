"""Notification e-mails go out in batches (issue 5: the portal must hold a rush), and still every
notification is e-mailed exactly once, to its own person, and none waits for a task that will
not come."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache, caches

from leerrekening.models import Notification
from leerrekening.services import notifications
from tests import factories
from tests.support.booking import book
from tests.support.funding import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Tasks sent to the broker, recorded instead of run (a worker would run them later)."""
    sent = []

    def send_task(task, *args, countdown=None):
        assert countdown == notifications.EMAIL_TASK_DELAY_SECONDS  # it waits for company
        sent.append(args)
        return True

    monkeypatch.setattr(notifications, "send_task", send_task)
    return sent


def notify(user, n: int):
    return notifications.notification_create(
        user_id=user.pk, kind="booking", title=f"Boeking {n}", body=f"Bericht {n}"
    )


def run_task(notification_id: int) -> bool:
    """What the worker does with a queued task."""
    return notifications.notification_email(notification_id=notification_id)


def test_notifications_made_while_a_task_is_queued_ride_with_it_and_each_is_emailed_once(
    alice, bob, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(alice, 1)
    for n, person in enumerate([bob, alice, bob], start=2):
        with django_capture_on_commit_callbacks(execute=True):
            notify(person, n)
    assert queued == [(first.pk,)]  # one task for the four

    assert run_task(first.pk) is True
    assert sorted((m.subject, tuple(m.to)) for m in mail.outbox) == [
        ("Leerportaal: Boeking 1", ("alice@example.nl",)),
        ("Leerportaal: Boeking 2", ("bob@example.nl",)),
        ("Leerportaal: Boeking 3", ("alice@example.nl",)),
        ("Leerportaal: Boeking 4", ("bob@example.nl",)),
    ]
    assert "Bericht 2" in next(m.body for m in mail.outbox if m.subject.endswith("2"))
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    # Delivered again (acks_late, a sweeper): nothing is sent twice.
    assert run_task(first.pk) is False
    assert len(mail.outbox) == 4


def test_a_notification_made_once_the_task_has_started_queues_a_task_of_its_own(
    alice, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(alice, 1)
    run_task(first.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = notify(alice, 2)
    assert queued == [(first.pk,), (second.pk,)]
    assert run_task(second.pk) is True
    assert [m.subject for m in mail.outbox] == ["Leerportaal: Boeking 1", "Leerportaal: Boeking 2"]


def test_a_notification_rolled_back_queues_nothing(
    alice, queued, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(alice, 1)
        transaction.set_rollback(True)
    assert queued == []
    assert cache.get(notifications.EMAIL_QUEUED_KEY) is None


def test_when_the_broker_is_down_the_next_notification_tries_again(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    attempts = []

    def send_task(task, *args, countdown=None):  # the broker is unreachable: logged, not sent
        attempts.append(args)
        return False

    monkeypatch.setattr(notifications, "send_task", send_task)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(alice, 1)
    with django_capture_on_commit_callbacks(execute=True):
        second = notify(alice, 2)
    assert attempts == [(first.pk,), (second.pk,)]


def test_when_the_cache_is_down_every_notification_queues_its_own_task(
    alice, queued, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis down")

    backend = type(caches["default"])
    monkeypatch.setattr(backend, "add", unreachable)
    monkeypatch.setattr(backend, "delete", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(alice, 1)
    with django_capture_on_commit_callbacks(execute=True):
        second = notify(alice, 2)
    assert queued == [(first.pk,), (second.pk,)]
    assert run_task(first.pk) is True
    assert run_task(second.pk) is False  # the first task sent both
    assert len(mail.outbox) == 2


def test_a_mail_server_failure_half_way_keeps_what_was_sent_and_frees_the_rest(
    alice, queued, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    made = []
    for n in range(1, 4):
        with django_capture_on_commit_callbacks(execute=True):
            made.append(notify(alice, n))
    real_send = EmailBackend.send_messages

    def fails_on_the_second(self, messages):
        if len(mail.outbox) == 1:
            raise ConnectionError("mail server gone")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fails_on_the_second)
    with pytest.raises(ConnectionError):
        run_task(made[0].pk)
    emailed = set(
        Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True)
    )
    assert emailed == {made[0].pk}

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert run_task(made[1].pk) is True  # the retry sends the other two, once
    assert [m.subject for m in mail.outbox] == [f"Leerportaal: Boeking {n}" for n in (1, 2, 3)]


def test_an_old_notification_waits_for_the_sweeper_window_not_for_any_task(
    alice, queued, django_capture_on_commit_callbacks
):
    # Older than EMAIL_MAX_AGE is no news any more: a batch does not send it (nor does the sweeper).
    stale = Notification.objects.create(user=alice, kind="booking", title="Oud", body="x")
    Notification.objects.filter(pk=stale.pk).update(
        created_at=stale.created_at - notifications.EMAIL_MAX_AGE * 2
    )
    with django_capture_on_commit_callbacks(execute=True):
        fresh = notify(alice, 1)
    assert run_task(fresh.pk) is True
    assert [m.subject for m in mail.outbox] == ["Leerportaal: Boeking 1"]


def test_a_big_rush_is_sent_in_several_claims(alice, queued, monkeypatch):
    monkeypatch.setattr(notifications, "EMAIL_BATCH", 2)
    made = Notification.objects.bulk_create(
        [Notification(user=alice, kind="booking", title=f"N{n}", body="x") for n in range(5)]
    )
    assert run_task(made[0].pk) is True
    assert sorted(m.subject for m in mail.outbox) == [f"Leerportaal: N{n}" for n in range(5)]


def test_each_booking_in_a_row_gets_exactly_one_email(
    funded_alice, bob, queued, django_capture_on_commit_callbacks
):
    fund("1000.00", worker=bob)
    courses = factories.CourseFactory.create_batch(3)
    for n, course in enumerate(courses):
        for person in (funded_alice, bob):
            with django_capture_on_commit_callbacks(execute=True):
                book(person, course, token=f"t-{person.pk}-{n}")
    for (notification_id,) in list(queued):
        run_task(notification_id)
    assert len(queued) == 1
    booked = sorted((tuple(m.to), m.subject) for m in mail.outbox)
    assert booked == sorted(
        ((p.email,), f"Leerportaal: Je hebt {c.title} geboekt")
        for c in courses
        for p in (funded_alice, bob)
    )
