"""With the broker down, the enqueue helper logs the task's name and id, never its arguments: a
one-time code passed to the e-mail task must not land in the log."""

from __future__ import annotations

import logging

import pytest

from leerportaal.enqueue import send_task
from leerrekening.bookings.confirmation import one_time_code_send
from leerrekening.models import OneTimeCode
from leerrekening.tasks import one_time_code_email_send
from tests import factories
from tests.support.processes import celery_pointed_at, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing_broker():
    """Celery pointed at a port where nothing listens: every connection is refused."""
    with celery_pointed_at(f"redis://127.0.0.1:{free_port()}/0"):
        yield


def test_a_task_not_sent_is_logged_by_name_and_id_without_its_arguments(refusing_broker, caplog):
    with caplog.at_level(logging.WARNING, logger="leerportaal.enqueue"):
        sent = send_task(one_time_code_email_send, 4242, "918273")
    assert sent is False
    [record] = [r for r in caplog.records if r.name == "leerportaal.enqueue"]
    message = record.getMessage()
    assert one_time_code_email_send.name in message
    assert "id " in message
    assert "918273" not in caplog.text
    assert "4242" not in caplog.text
    assert record.exc_info is None  # no traceback that could quote what was being sent


def test_a_live_one_time_code_never_reaches_the_log_when_redis_is_down(
    refusing_broker, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    user = factories.UserFactory()
    codes: list[str] = []
    real_send = send_task

    def remember(task, *args, **kwargs):
        codes.append(args[-1])  # the plain code, as handed to the task
        return real_send(task, *args, **kwargs)

    monkeypatch.setattr("leerportaal.enqueue.send_task", remember)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        one_time_code_send(user=user)
    assert OneTimeCode.objects.filter(user=user).count() == 1
    [code] = codes
    assert len(code) == 6
    assert "not sent" in caplog.text  # the outage was logged ...
    assert code not in caplog.text  # ... without the code
