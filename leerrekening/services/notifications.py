"""Notifications: created once (a dedupe key), e-mailed by Celery after the commit."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from leerportaal import prepared
from leerportaal.enqueue import send_task, send_task_on_commit
from leerrekening.models import Notification, Tranche

SWEEP_BATCH = 1000


def notification_create(
    *, user_id: int, kind: str, title: str, body: str, dedupe_key: str | None = None
) -> Notification | None:
    """Create a notification and e-mail it after the commit. With a dedupe_key it is created at
    most once (a re-run of the task that announces it creates nothing); returns None then."""
    if dedupe_key is not None:
        with connection.cursor() as cursor:
            prepared.execute(
                cursor,
                "INSERT INTO leerrekening_notification (user_id, kind, title, body, dedupe_key,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                [user_id, kind, title, body, dedupe_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        notification = Notification(pk=row[0], user_id=user_id, kind=kind, title=title, body=body)
    else:
        notification = Notification.objects.create(
            user_id=user_id, kind=kind, title=title, body=body
        )
    from leerrekening.tasks import notification_email_send

    send_task_on_commit(notification_email_send, notification.pk)
    return notification


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
    """Send the e-mail of one notification, once. Returns whether it sent one now.

    The UPDATE claims the notification and locks it until the commit: a second run of the task
    waits, then finds it e-mailed. If sending fails, the claim rolls back and a retry sends it.
    """
    from django.core.mail import send_mail

    with transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(
            cursor,
            "UPDATE leerrekening_notification AS n SET emailed_at = %s"
            "  FROM accounts_user AS u"
            " WHERE n.id = %s AND n.emailed_at IS NULL AND u.id = n.user_id"
            " RETURNING n.title, n.body, u.email",
            [timezone.now(), notification_id],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        title, body, email = row
        send_mail(
            subject=f"Leerportaal: {title}",
            message=body
            + "\n\nDit bericht staat ook in je Leerportaal. Was jij dit niet? Log in en kies"
            ' "Dit was ik niet".',
            from_email=None,
            recipient_list=[email],
        )
    return True


def expiry_notices_send(*, today: datetime.date, days: Iterable[int]) -> int:
    """Announce tranches that end within `days` (90 and 14): once per tranche and threshold."""
    sent = 0
    for threshold in sorted(days, reverse=True):
        field = f"notified_{threshold}_at"
        due = Tranche.objects.filter(
            ended_at__isnull=True,
            remaining__gt=0,
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
                    title=f"€ {tranche.remaining} van je tegoed loopt af op {tranche.ends_on:%d-%m-%Y}",
                    body=(
                        f"Je hebt nog € {tranche.remaining} van {tranche.funder.name}. Gebruik het "
                        f"voor {tranche.ends_on:%d-%m-%Y}. Daarna {what_happens}."
                    ),
                    dedupe_key=f"expiry-notice-{threshold}:tranche:{tranche.pk}",
                )
                sent += 1
    return sent
