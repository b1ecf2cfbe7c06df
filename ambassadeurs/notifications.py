"""E-mails of the ambassador app: each one locks what it tells about, sends, and marks it sent.

Celery tasks (ambassadeurs/tasks.py) only call these with ids. E-mails never carry what was said
in a conversation or asked in a request: only who will call, or that something waits in the
portal. Each function is safe to run twice: a mark written in the same transaction as the send
keeps a redelivered task from mailing again.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ambassadeurs import services
from ambassadeurs.models import Conversation, ConversationRequest
from leerportaal import mail


@transaction.atomic
def request_claimed_notify(*, request_id: int) -> bool:
    """Tell the worker who will contact them. Sent at most once per request (claimed_notified_at,
    under the request's row lock). False when there is nothing (more) to send."""
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


def follow_up_reminder_ambassador_ids(*, today: datetime.date | None = None) -> list[int]:
    """The ambassadors with follow-ups due and not yet reminded (one reminder each)."""
    today = today or timezone.localdate()
    return list(
        Conversation.objects.filter(
            follow_up_done=False,
            follow_up_on__lte=today,
            follow_up_reminded_on__isnull=True,
        )
        .order_by()  # the model's ordering would defeat DISTINCT
        .values_list("ambassador_id", flat=True)
        .distinct()
    )


def follow_up_reminder_send(*, ambassador_id: int) -> int:
    """E-mail one ambassador how many follow-ups are due. The mail and the marks commit together
    (services.follow_up_reminders_claim locks and marks them). Returns how many were due."""
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
