"""Celery tasks for ambassadors: thin, take ids, safe to run twice.

E-mails never carry what was said in a conversation: only that something waits in the portal.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ambassadeurs import services
from ambassadeurs.models import Conversation, ConversationRequest
from leerportaal import mail

logger = logging.getLogger(__name__)


@shared_task
def request_claimed_notify(request_id: int) -> bool:
    """Tell the worker who will contact them. Sent at most once per request (claimed_notified)."""
    with transaction.atomic():
        request = (
            ConversationRequest.objects.select_for_update()
            .select_related("worker", "claimed_by")
            .filter(pk=request_id, worker__isnull=False, claimed_by__isnull=False)
            .first()
        )
        if request is None or request.claimed_notified_at is not None:
            return False
        mail.mail_send(
            "ambassadeurs/email/request_claimed",
            {"request": request, "ambassador": request.claimed_by},
            to=[request.worker.email],
        )
        request.claimed_notified_at = timezone.now()
        request.save(update_fields=["claimed_notified_at"])
    return True


@shared_task
def follow_up_reminders_enqueue() -> int:
    """Beat: one reminder task per ambassador with follow-ups due and not yet reminded."""
    today = timezone.localdate()
    ambassador_ids = list(
        Conversation.objects.filter(
            follow_up_done=False,
            follow_up_on__lte=today,
            follow_up_reminded_on__isnull=True,
        )
        .order_by()  # the model's ordering would defeat DISTINCT
        .values_list("ambassador_id", flat=True)
        .distinct()
    )
    for ambassador_id in ambassador_ids:
        follow_up_reminder_send.delay(ambassador_id)
    return len(ambassador_ids)


@shared_task
def follow_up_reminder_send(ambassador_id: int) -> int:
    """E-mail one ambassador how many follow-ups are due. The mail and the marks commit together."""
    ambassador = User.objects.filter(pk=ambassador_id, is_active=True).first()
    if ambassador is None:
        return 0
    with transaction.atomic():
        due = services.follow_up_reminders_claim(ambassador_id=ambassador_id)
        if not due:
            return 0
        mail.mail_send(
            "ambassadeurs/email/follow_up",
            {"ambassador": ambassador, "count": len(due)},
            to=[ambassador.email],
        )
    return len(due)


@shared_task
def erase_expired_notes() -> int:
    """Beat: erase private notes past the retention period (AMBASSADEURS_NOTES_RETENTION_MONTHS)."""
    erased = services.notes_erase_expired()
    if erased:
        logger.info("Erased the private notes of %d conversations", erased)
    return erased
