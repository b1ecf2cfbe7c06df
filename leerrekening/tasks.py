"""Celery tasks: thin, take ids, idempotent; the work is in services."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def notification_email_send(notification_id: int) -> bool:
    from leerrekening.services.notifications import notification_email

    return notification_email(notification_id=notification_id)


@shared_task(acks_late=True)
def tranches_expire() -> dict:
    """Daily (beat): expiry notices at 90 and 14 days, and ending tranches closed."""
    from leerrekening.services.ledger import expire_tranches

    report = expire_tranches()
    return {"expired": report.expired, "returned": str(report.returned), "notices": report.notices}


@shared_task(acks_late=True)
def ledger_check_run() -> bool:
    """Hourly (beat): verify the ledger invariants; log an error naming each broken one."""
    from leerrekening.ledger_check import run_checks

    results = run_checks()
    broken = [r for r in results if not r.ok]
    for result in broken:
        logger.error("ledger_check: invariant broken: %s — %s", result.name, result.detail)
    return not broken


@shared_task(acks_late=True)
def one_time_code_email_send(user_id: int, code: str) -> None:
    """E-mail a booking confirmation code (the database holds only its hash)."""
    from django.core.mail import send_mail

    from accounts.models import User

    user = User.objects.get(pk=user_id)
    send_mail(
        subject="Leerportaal: je code om te bevestigen",
        message=(
            f"Je code is: {code}\n\nVul deze code in op Leerportaal om je boeking te bevestigen."
            " De code werkt 10 minuten.\n\nHeb jij niets geboekt? Gebruik de code dan niet en"
            " verander je wachtwoord."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
