"""Writes for requests and conversations. Each function is one atomic action with its checks.

Access is checked here too, not only in the views: a service called with the wrong person raises
NotAllowed, which views map to 404 (the row is not theirs, so it "does not exist" for them).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Employer, User
from ambassadeurs import selectors
from ambassadeurs.models import (
    Conversation,
    ConversationRequest,
    ConversationTopic,
    Outcome,
)
from leerportaal.enqueue import send_task_on_commit
from leerportaal.errors import DomainError

# A worker can have this many requests waiting at once; more is almost always a double click.
MAX_OPEN_REQUESTS_PER_WORKER = 3


class AmbassadorError(DomainError):
    """A request or conversation the rules refuse; the message is for the person."""

    code = "ambassador_error"
    status = 400
    default_message = _("Dit kan niet.")


class NotAllowed(AmbassadorError):
    """Not this person's request or conversation: for them it does not exist (404)."""

    code = "not_found"
    status = 404
    default_message = _("Niet gevonden")


class NotAWorkplace(AmbassadorError):
    code = "not_a_workplace"
    status = 404
    default_message = _("Niet gevonden")


class TooManyOpenRequests(AmbassadorError):
    code = "too_many_open_requests"
    status = 409
    default_message = _(
        "Je hebt al 3 vragen die nog wachten. Wacht tot een leerambassadeur je belt."
    )


class AlreadyClaimed(AmbassadorError):
    code = "already_claimed"
    status = 409
    default_message = _("Een andere leerambassadeur heeft deze vraag al opgepakt.")


class InvalidConversation(AmbassadorError):
    """A field of the request or conversation is not valid; `field` names it (also in the API's
    `fields`)."""

    code = "validation_error"
    status = 400
    default_message = _("Dit gesprek heeft een ongeldig veld.")

    def __init__(self, field: str = "non_field_errors", message=None):
        self.field = field
        super().__init__(
            message, details={"fields": {field: [str(_("Niet geldig voor dit gesprek."))]}}
        )


@transaction.atomic
def request_create(
    *,
    worker: User,
    employer: Employer,
    topic: str,
    channel: str,
    message: str = "",
    contact: str = "",
    anonymous: bool = False,
) -> ConversationRequest:
    """A worker asks the ambassadors of one of their current workplaces for a talk.

    Anonymous: no account is stored with the request, only the contact line the worker typed.
    Raises NotAWorkplace, TooManyOpenRequests, InvalidConversation (anonymous without contact).
    """
    if not selectors.current_employers_of(worker=worker).filter(pk=employer.pk).exists():
        raise NotAWorkplace
    if anonymous and not contact.strip():
        raise InvalidConversation("contact")
    # Lock the worker row so two quick submissions cannot both pass the cap.
    User.objects.select_for_update().filter(pk=worker.pk).first()
    open_count = ConversationRequest.objects.filter(
        worker=worker, status=ConversationRequest.Status.OPEN
    ).count()
    if not anonymous and open_count >= MAX_OPEN_REQUESTS_PER_WORKER:
        raise TooManyOpenRequests
    return ConversationRequest.objects.create(
        worker=None if anonymous else worker,
        employer=employer,
        topic=topic,
        channel=channel,
        message=message.strip(),
        contact=contact.strip(),
    )


@transaction.atomic
def request_cancel(*, request: ConversationRequest, worker: User) -> ConversationRequest:
    """The worker withdraws their own request while no conversation was logged for it."""
    locked = ConversationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.worker_id != worker.pk:
        raise NotAllowed
    if locked.status not in (ConversationRequest.Status.OPEN, ConversationRequest.Status.CLAIMED):
        raise InvalidConversation("status", _("Deze vraag kan niet meer worden ingetrokken."))
    locked.status = ConversationRequest.Status.CANCELLED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def request_claim(*, request: ConversationRequest, ambassador: User) -> ConversationRequest:
    """An ambassador who serves the request's workplace takes it on. First claim wins.

    The worker is told by e-mail who will contact them (after commit). Raises AlreadyClaimed,
    NotAllowed (not their workplace, or their own request).
    """
    if not ambassador.is_ambassador:
        raise NotAllowed
    locked = ConversationRequest.objects.select_for_update().get(pk=request.pk)
    if not selectors.requests_visible_to_ambassador(ambassador=ambassador).filter(pk=locked.pk):
        raise NotAllowed
    if locked.status != ConversationRequest.Status.OPEN:
        raise AlreadyClaimed
    locked.status = ConversationRequest.Status.CLAIMED
    locked.claimed_by = ambassador
    locked.claimed_at = timezone.now()
    locked.save(update_fields=["status", "claimed_by", "claimed_at"])
    if locked.worker_id:
        from ambassadeurs.tasks import request_claimed_notify

        send_task_on_commit(request_claimed_notify, locked.pk)
    return locked


def _validate(
    *,
    held_on: datetime.date,
    duration_minutes: int,
    topics: Iterable[str],
    outcome: str,
    follow_up_on: datetime.date | None,
) -> None:
    if held_on > timezone.localdate():
        raise InvalidConversation("held_on")
    if not 1 <= duration_minutes <= 480:
        raise InvalidConversation("duration_minutes")
    if not list(topics):
        raise InvalidConversation("topics")
    if outcome == Outcome.FOLLOW_UP and follow_up_on is None:
        raise InvalidConversation("follow_up_on")
    if follow_up_on is not None and follow_up_on < held_on:
        raise InvalidConversation("follow_up_on")


@transaction.atomic
def conversation_log(
    *,
    ambassador: User,
    held_on: datetime.date,
    duration_minutes: int,
    channel: str,
    topics: Iterable[str],
    outcome: str,
    follow_up_on: datetime.date | None = None,
    private_notes: str = "",
    notes_shared: bool = False,
    request: ConversationRequest | None = None,
    employer: Employer | None = None,
) -> Conversation:
    """Log a conversation, from a request the ambassador claimed or on its own (anonymous).

    The worker is linked only when it comes from their own (non-anonymous) request: that
    request is their consent. Notes can be shared only with a linked worker.
    Raises NotAllowed, InvalidConversation.
    """
    topics = sorted(set(topics))
    _validate(
        held_on=held_on,
        duration_minutes=duration_minutes,
        topics=topics,
        outcome=outcome,
        follow_up_on=follow_up_on,
    )
    worker = None
    if request is not None:
        request = ConversationRequest.objects.select_for_update().get(pk=request.pk)
        if request.claimed_by_id != ambassador.pk:
            raise NotAllowed
        if request.status != ConversationRequest.Status.CLAIMED:
            raise InvalidConversation("request", _("Dit gesprek is al vastgelegd."))
        employer = request.employer
        worker = request.worker
        request.status = ConversationRequest.Status.DONE
        request.save(update_fields=["status"])
    elif (
        employer is None
        or not selectors.employers_served_by(ambassador=ambassador).filter(pk=employer.pk).exists()
    ):
        raise NotAllowed
    conversation = Conversation.objects.create(
        ambassador=ambassador,
        request=request,
        worker=worker,
        employer=employer,
        sector_id=employer.sector_id,
        held_on=held_on,
        duration_minutes=duration_minutes,
        channel=channel,
        outcome=outcome,
        follow_up_on=follow_up_on,
        private_notes=private_notes.strip(),
        notes_shared=bool(notes_shared and worker),
    )
    ConversationTopic.objects.bulk_create(
        ConversationTopic(conversation=conversation, topic=topic) for topic in topics
    )
    return conversation


@transaction.atomic
def conversation_update(
    *,
    conversation: Conversation,
    ambassador: User,
    held_on: datetime.date,
    duration_minutes: int,
    channel: str,
    topics: Iterable[str],
    outcome: str,
    follow_up_on: datetime.date | None = None,
    private_notes: str = "",
    notes_shared: bool = False,
) -> Conversation:
    """The ambassador who logged it corrects a conversation. Erased notes stay erased."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.ambassador_id != ambassador.pk:
        raise NotAllowed
    topics = sorted(set(topics))
    _validate(
        held_on=held_on,
        duration_minutes=duration_minutes,
        topics=topics,
        outcome=outcome,
        follow_up_on=follow_up_on,
    )
    if locked.follow_up_on != follow_up_on:
        locked.follow_up_reminded_on = None
        locked.follow_up_done = False
    locked.held_on = held_on
    locked.duration_minutes = duration_minutes
    locked.channel = channel
    locked.outcome = outcome
    locked.follow_up_on = follow_up_on
    if locked.notes_erased_at is None:
        locked.private_notes = private_notes.strip()
    locked.notes_shared = bool(notes_shared and locked.worker_id)
    locked.save()
    locked.topics.exclude(topic__in=topics).delete()
    existing = set(locked.topics.values_list("topic", flat=True))
    ConversationTopic.objects.bulk_create(
        ConversationTopic(conversation=locked, topic=t) for t in topics if t not in existing
    )
    return locked


@transaction.atomic
def conversation_follow_up_done(*, conversation: Conversation, ambassador: User) -> Conversation:
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.ambassador_id != ambassador.pk:
        raise NotAllowed
    locked.follow_up_done = True
    locked.save(update_fields=["follow_up_done", "updated_at"])
    return locked


@transaction.atomic
def conversation_unlink(*, conversation: Conversation, worker: User) -> Conversation:
    """The worker withdraws their link: from now on the conversation is anonymous.

    The request is detached too (it names the worker), and shared notes are no longer shared.
    The countable facts stay, so the figures do not change.
    """
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.worker_id is None or locked.worker_id != worker.pk:
        raise NotAllowed
    locked.worker = None
    locked.request = None
    locked.notes_shared = False
    locked.save(update_fields=["worker", "request", "notes_shared", "updated_at"])
    return locked


def notes_retention_cutoff(*, today: datetime.date | None = None) -> datetime.date:
    """Conversations held before this day have passed the retention period for notes."""
    today = today or timezone.localdate()
    months = settings.AMBASSADEURS_NOTES_RETENTION_MONTHS
    year, month_index = divmod(today.year * 12 + today.month - 1 - months, 12)
    month = month_index + 1
    # The same day of the month, or that month's last day when it is shorter (29 Feb, the 31st).
    return datetime.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def notes_erase_expired(*, today: datetime.date | None = None) -> int:
    """Erase private notes of conversations past the retention cutoff, and the message and
    contact line of requests made before it. Idempotent.

    The period counts from the earlier of the day the record was made and (for a conversation)
    the day it was held: the ambassador can edit held_on, so moving it later never extends how
    long notes are kept. Only the notes, message and contact go; date, duration, channel, topics,
    outcome, employer and sector stay. A request still open by then is withdrawn: without its
    message and contact line it can no longer be answered. Returns how many conversations had
    notes erased.
    """
    cutoff = notes_retention_cutoff(today=today)
    now = timezone.now()
    start_of_cutoff = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))
    expired = Conversation.objects.filter(
        Q(held_on__lt=cutoff) | Q(created_at__lt=start_of_cutoff), notes_erased_at__isnull=True
    )
    erased = expired.update(private_notes="", notes_shared=False, notes_erased_at=now)
    old_requests = ConversationRequest.objects.filter(
        created_at__lt=start_of_cutoff, details_erased_at__isnull=True
    )
    old_requests.filter(status=ConversationRequest.Status.OPEN).update(
        status=ConversationRequest.Status.CANCELLED
    )
    old_requests.update(message="", contact="", details_erased_at=now)
    return erased


@transaction.atomic
def follow_up_reminders_claim(
    *, ambassador_id: int, today: datetime.date | None = None
) -> list[Conversation]:
    """Mark the ambassador's due, unreminded follow-ups as reminded today and return them.

    Rows are locked and marked in one transaction, so a task delivered twice sends nothing twice.
    """
    today = today or timezone.localdate()
    due = list(
        Conversation.objects.select_for_update()
        .filter(
            ambassador_id=ambassador_id,
            follow_up_done=False,
            follow_up_on__lte=today,
            follow_up_reminded_on__isnull=True,
        )
        .order_by("follow_up_on", "id")
    )
    Conversation.objects.filter(pk__in=[c.pk for c in due]).update(follow_up_reminded_on=today)
    return due
