"""Notifications: created once (a dedupe key), e-mailed by Celery after the commit, once each.

E-mails go out in batches. While an e-mail task is queued and has not started yet, a new
notification does not queue one of its own: the queued task sends it too, with every other
notification that waits, over one connection to the mail server. In a rush (an expiry deadline,
many bookings at once) that is one task per batch instead of one per notification, and when it
is quiet every notification still gets a task of its own, at once.

Why none is left behind: a task first clears the "queued" mark, then claims what waits. A
notification committed before the mark was cleared is claimed by that task; one committed after
finds no mark and queues a new task. The mark expires (EMAIL_QUEUED_SECONDS), so a task that is
lost or stuck behind long work holds nothing back for long; with Redis down, every notification
tries to queue its own task, and the beat sweeper sends what never reached the broker.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from leerportaal import mail, prepared
from leerportaal.enqueue import send_task
from leerportaal.money import euro
from leerrekening.models import Notification, Tranche

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000
# Notifications claimed and e-mailed per transaction by one task.
EMAIL_BATCH = 500
# Older than this, a notification not yet e-mailed is no news any more (as for the sweeper).
EMAIL_MAX_AGE = datetime.timedelta(days=2)
# Set while an e-mail task is queued and has not started: new notifications ride with it.
EMAIL_QUEUED_KEY = "leerrekening:notification-email-queued"
EMAIL_QUEUED_SECONDS = 10
# The task starts this long after the first notification it carries, so that in a rush it
# carries many: a Celery task costs ~3 ms of CPU in the worker (measured, issue 5), an e-mail
# ~0.25 ms. A quarter of a second later in the inbox is no difference to a person.
EMAIL_TASK_DELAY_SECONDS = 0.25


# The insert of a notification with a dedupe key: at most once per key, RETURNING its id (no row
# when it existed). Named n_* so a caller can run it in the same round trip as its own write
# (booking_create); notification_created then queues its e-mail.
NOTIFICATION_INSERT_SQL = (
    "INSERT INTO leerrekening_notification (user_id, kind, title, body, dedupe_key, created_at)"
    " VALUES (%(n_user)s, %(n_kind)s, %(n_title)s, %(n_body)s, %(n_dedupe)s, %(n_now)s)"
    " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)


def notification_insert_params(
    *, user_id: int, kind: str, title: str, body: str, dedupe_key: str
) -> dict:
    return {
        "n_user": user_id,
        "n_kind": kind,
        "n_title": title,
        "n_body": body,
        "n_dedupe": dedupe_key,
        "n_now": timezone.now(),
    }


def notification_created(row: tuple | None) -> int | None:
    """After NOTIFICATION_INSERT_SQL: e-mail the new notification once the transaction commits.
    Returns its id, or None when the key existed (nothing new to send)."""
    if row is None:
        return None
    notification_id = row[0]
    transaction.on_commit(lambda: _email_task_queue(notification_id))
    return notification_id


def notification_create(
    *, user_id: int, kind: str, title: str, body: str, dedupe_key: str | None = None
) -> Notification | None:
    """Create a notification and e-mail it after the commit. With a dedupe_key it is created at
    most once (a re-run of the task that announces it creates nothing); returns None then."""
    if dedupe_key is not None:
        with connection.cursor() as cursor:
            prepared.execute(
                cursor,
                NOTIFICATION_INSERT_SQL,
                notification_insert_params(
                    user_id=user_id, kind=kind, title=title, body=body, dedupe_key=dedupe_key
                ),
            )
            notification_id = notification_created(cursor.fetchone())
        if notification_id is None:
            return None
        return Notification(pk=notification_id, user_id=user_id, kind=kind, title=title, body=body)
    notification = Notification.objects.create(user_id=user_id, kind=kind, title=title, body=body)
    transaction.on_commit(lambda: _email_task_queue(notification.pk))
    return notification


def _email_task_queue(notification_id: int) -> None:
    """After the commit: queue an e-mail task, unless one is queued that will carry this one."""
    from leerrekening.tasks import notification_email_send

    try:
        first = cache.add(EMAIL_QUEUED_KEY, notification_id, EMAIL_QUEUED_SECONDS)
    except Exception:  # the cache (Redis) is unreachable: queue it; send_task logs a failure
        first = True
    if first and not send_task(
        notification_email_send, notification_id, countdown=EMAIL_TASK_DELAY_SECONDS
    ):
        # Not queued after all: the next notification must not wait for this task.
        _email_queued_mark_clear()


def _email_queued_mark_clear() -> None:
    try:
        cache.delete(EMAIL_QUEUED_KEY)
    except Exception:  # Redis down: no notification can set the mark either
        logger.warning("could not clear %s", EMAIL_QUEUED_KEY, exc_info=True)


def notification_emails_sweep(
    *, stale_after: datetime.timedelta, max_age: datetime.timedelta
) -> list[int]:
    """Send again the e-mail tasks of notifications not e-mailed after `stale_after` (created
    while Redis was down, or the message was lost); older than `max_age` is no news any more.
    A second delivery is harmless: notification_email claims each notification once."""
    from leerrekening.tasks import notification_email_send

    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__lt=now - stale_after, created_at__gte=now - max_age
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return [pk for pk in ids if send_task(notification_email_send, pk)]


def notification_email(*, notification_id: int) -> bool:
    """The e-mail task: send this notification's e-mail and those of all others waiting, each
    once. Returns whether this one was sent now (False: it was e-mailed already)."""
    # First: from here on a new notification queues a task of its own (see the module docstring).
    _email_queued_mark_clear()
    sent: list[int] = []
    while True:
        batch = _email_batch_send(include=notification_id)
        sent += batch
        if len(batch) < EMAIL_BATCH:
            return notification_id in sent


def _email_batch_send(*, include: int) -> list[int]:
    """Claim up to EMAIL_BATCH notifications not yet e-mailed (`include` whatever its age), send
    them over one mail connection, and return the ids sent.

    The claim locks the rows until the commit; a task running beside this one skips them (SKIP
    LOCKED) rather than sending them again. If the mail server fails half way, what was sent
    stays marked sent and the rest is released for a retry (the sweeper's, at the latest); a crash
    rolls the whole claim back.
    """
    now = timezone.now()
    failure: Exception | None = None
    with transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(
            cursor,
            "UPDATE leerrekening_notification AS n SET emailed_at = %(now)s"
            "  FROM accounts_user AS u"
            " WHERE n.id IN (SELECT id FROM leerrekening_notification"
            "                 WHERE emailed_at IS NULL"
            "                   AND (id = %(include)s OR created_at >= %(since)s)"
            "                 ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            "   AND u.id = n.user_id"
            " RETURNING n.id, n.title, n.body, u.email",
            {"now": now, "include": include, "since": now - EMAIL_MAX_AGE, "limit": EMAIL_BATCH},
        )
        claimed = sorted(cursor.fetchall())
        sent: list[int] = []
        if claimed:
            try:
                with get_connection() as mail:
                    for pk, title, body, email in claimed:
                        mail.send_messages([_email_message(title=title, body=body, email=email)])
                        sent.append(pk)
            except Exception as exc:  # the mail server failed: keep what went out, free the rest
                failure = exc
                unsent = [row[0] for row in claimed[len(sent) :]]
                cursor.execute(
                    "UPDATE leerrekening_notification SET emailed_at = NULL WHERE id = ANY(%s)",
                    [unsent],
                )
    if failure is not None:
        raise failure
    return sent


def _email_message(*, title: str, body: str, email: str) -> EmailMessage:
    # The title and body were written when the notification was made (Dutch); the frame around
    # them is in the portal's language.
    return mail.message_render(
        "leerrekening/email/notification", {"title": title, "body": body}, to=[email]
    )


def tranche_expired_notify(*, tranche: Tranche, amount) -> None:
    """Tell the worker that `amount` of a tranche went back to its funder at its end date
    (once per tranche). The ledger reports what expired (ledger.tranche_expire); this words it."""
    notification_create(
        user_id=tranche.account.worker_id,
        kind="expired",
        title="Een deel van je tegoed is vervallen",
        body=(
            f"{euro(amount)} van {tranche.funder.name} is teruggegaan naar "
            f"{tranche.funder.name}, omdat de einddatum {tranche.ends_on:%d-%m-%Y} voorbij is."
        ),
        dedupe_key=f"expired:tranche:{tranche.pk}",
    )


def expiry_notices_send(*, today: datetime.date, days: Iterable[int]) -> int:
    """Announce tranches that end within `days` (90 and 14): once per tranche and threshold."""
    sent = 0
    for threshold in sorted(days, reverse=True):
        field = f"notified_{threshold}_at"
        due = Tranche.objects.filter(
            ended_at__isnull=True,
            spendable=True,
            ends_on__gte=today,
            ends_on__lte=today + datetime.timedelta(days=threshold),
            **{f"{field}__isnull": True},
        ).select_related("account", "funder")
        for tranche in due.iterator(chunk_size=1000):
            with transaction.atomic():
                # The update is the "once": only the run that flips the field sends the notice.
                claimed = Tranche.objects.filter(
                    pk=tranche.pk, **{f"{field}__isnull": True}
                ).update(**{field: timezone.now()})
                if not claimed:
                    continue
                what_happens = (
                    f"gaat het terug naar {tranche.funder.name}"
                    if tranche.at_end == Tranche.AtEnd.RETURN_TO_FUNDER
                    else "blijft het op je leerrekening, maar is het niet meer belastingvrij"
                )
                notification_create(
                    user_id=tranche.account.worker_id,
                    kind=Notification.Kind.EXPIRY_NOTICE,
                    title=f"{euro(tranche.remaining)} van je tegoed loopt af op {tranche.ends_on:%d-%m-%Y}",
                    body=(
                        f"Je hebt nog {euro(tranche.remaining)} van {tranche.funder.name}. Gebruik het "
                        f"voor {tranche.ends_on:%d-%m-%Y}. Daarna {what_happens}."
                    ),
                    dedupe_key=f"expiry-notice-{threshold}:tranche:{tranche.pk}",
                )
                sent += 1
    return sent
