"""Celery tasks for ambassadors: thin, take ids, safe to run twice.

The work is in ambassadeurs/notifications.py (e-mails) and ambassadeurs/services.py (retention);
tasks are sent through leerportaal.enqueue only.
"""

from __future__ import annotations

import logging

from celery import shared_task

from ambassadeurs import notifications, services
from leerportaal.enqueue import send_task

logger = logging.getLogger(__name__)


@shared_task
def request_claimed_notify(request_id: int) -> bool:
    """Tell the worker who will contact them (at most once per request)."""
    return notifications.request_claimed_notify(request_id=request_id)


@shared_task
def follow_up_reminders_enqueue() -> int:
    """Beat: one reminder task per ambassador with follow-ups due and not yet reminded.

    A task not sent (broker down) is sent by the next beat: nothing is marked until it runs."""
    ambassador_ids = notifications.follow_up_reminder_ambassador_ids()
    for ambassador_id in ambassador_ids:
        send_task(follow_up_reminder_send, ambassador_id)
    return len(ambassador_ids)


@shared_task
def follow_up_reminder_send(ambassador_id: int) -> int:
    """E-mail one ambassador how many follow-ups are due."""
    return notifications.follow_up_reminder_send(ambassador_id=ambassador_id)


@shared_task
def erase_expired_notes() -> int:
    """Beat: erase private notes past the retention period (AMBASSADEURS_NOTES_RETENTION_MONTHS)."""
    erased = services.notes_erase_expired()
    if erased:
        logger.info("Erased the private notes of %d conversations", erased)
    return erased
