"""Redis down after a commit: the request still succeeds, nothing is lost, a sweeper sends later.

Real parts: the broker is a real port with nothing listening (kombu really fails to connect),
then a real Redis on that port; the e-mail tasks are read back from its queue.
"""

from __future__ import annotations

import base64
import datetime
import json

import pytest
import redis
from django.core import mail

from leerrekening.models import Booking, Notification
from leerrekening.services import notifications
from tests.support.booking import booking_post
from tests.support.processes import RedisServer, celery_pointed_at, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOW = datetime.timedelta(0)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def dead_broker():
    """Celery pointed at a port where no Redis listens (yet)."""
    port = free_port()
    with celery_pointed_at(f"redis://127.0.0.1:{port}/0"):
        yield port


def _queued_notification_ids(url: str) -> list[int]:
    client = redis.Redis.from_url(url)
    messages = [json.loads(raw) for raw in client.lrange("celery", 0, -1)]
    return [
        json.loads(base64.b64decode(m["body"]))[0][0]
        for m in messages
        if m["headers"]["task"] == "leerrekening.tasks.notification_email_send"
    ]


def test_a_booking_made_while_redis_is_down_succeeds_and_its_email_is_sent_later(
    client, funded_alice, course, dead_broker, tmp_path
):
    client.force_login(funded_alice)
    response = booking_post(client, course, request_token="tok-down")

    booking = Booking.objects.get(worker=funded_alice)
    assert response.status_code == 302  # not a server error: the booking is committed
    notice = Notification.objects.get(user=funded_alice, kind="booking")
    assert notice.emailed_at is None
    # Still down: the sweeper sends nothing and does not fail.
    assert notifications.notification_emails_sweep(stale_after=NOW, max_age=DAY) == []

    server = RedisServer(port=dead_broker, directory=tmp_path).start()
    try:
        swept = notifications.notification_emails_sweep(stale_after=NOW, max_age=DAY)
        assert notice.pk in swept
        assert notice.pk in _queued_notification_ids(server.url)
    finally:
        server.stop()

    # The task, delivered (even twice), e-mails the worker once.
    mail.outbox.clear()
    assert notifications.notification_email(notification_id=notice.pk) is True
    assert notifications.notification_email(notification_id=notice.pk) is False
    assert len(mail.outbox) == 1
    assert booking.course.title in mail.outbox[0].subject


def test_the_sweeper_leaves_fresh_old_and_e_mailed_notifications_alone(alice, dead_broker):
    fresh = Notification.objects.create(user=alice, kind="booking", title="Nieuw", body="x")
    old = Notification.objects.create(user=alice, kind="booking", title="Oud", body="x")
    Notification.objects.filter(pk=old.pk).update(created_at=old.created_at - 3 * DAY)
    sent = Notification.objects.create(user=alice, kind="booking", title="Verstuurd", body="x")
    Notification.objects.filter(pk=sent.pk).update(emailed_at=sent.created_at)

    from leerportaal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True  # count what the sweeper would send, without a broker
    try:
        assert (
            notifications.notification_emails_sweep(
                stale_after=datetime.timedelta(minutes=5), max_age=2 * DAY
            )
            == []
        )
        swept = notifications.notification_emails_sweep(stale_after=NOW, max_age=2 * DAY)
    finally:
        app.conf.task_always_eager = previous
    assert swept == [fresh.pk]
