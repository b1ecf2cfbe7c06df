"""Handing work to Celery after a commit, without turning a broker outage into an error page.

What the request did is committed by the time its tasks are sent. If Redis is down then, the
task is not sent and a warning is logged; the work itself is stored in the database, where a
beat sweeper finds what was never sent (deposit batches, takeovers, notification e-mails).
"""

from __future__ import annotations

import logging
import uuid

from django.db import transaction

logger = logging.getLogger(__name__)


def send_task(task, *args, countdown: float | None = None) -> bool:
    """Send `task(*args)` now (to run `countdown` seconds later, if given); False (logged) when
    the broker cannot be reached. Never raises.

    retry=False: with the broker down, kombu's publish retries would hold the request for
    seconds and then fail anyway.

    The warning names the task, its id and the kind of error only, never the arguments or the
    error's text or traceback: an argument can be a live one-time code, and a transport error's
    message can quote what it tried to send.
    """
    task_id = str(uuid.uuid4())
    try:
        task.apply_async(args=args, retry=False, countdown=countdown, task_id=task_id)
    except Exception as error:  # any broker/transport error: Redis down, refused, timed out
        logger.warning(
            "task %s (id %s) not sent: broker unreachable (%s); the sweeper sends it later",
            task.name,
            task_id,
            type(error).__name__,
        )
        return False
    return True


def send_task_on_commit(task, *args) -> None:
    """Send `task(*args)` once the current transaction commits (never if it rolls back)."""
    transaction.on_commit(lambda: send_task(task, *args))
