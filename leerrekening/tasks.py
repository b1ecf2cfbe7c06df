"""Celery tasks: thin, take ids, idempotent; the work is in services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def notification_email_send(notification_id: int) -> bool:
    from leerrekening.services.notifications import notification_email

    return notification_email(notification_id=notification_id)


@shared_task(acks_late=True)
def notification_emails_sweep() -> int:
    """Every few minutes (beat): send the e-mails of notifications whose task was never sent
    (made while Redis was down) or was lost."""
    import datetime

    from leerrekening.services.notifications import notification_emails_sweep as sweep

    return len(sweep(stale_after=datetime.timedelta(minutes=5), max_age=datetime.timedelta(days=2)))


@shared_task(acks_late=True)
def tranches_expire() -> dict:
    """Daily (beat): expiry notices at 90 and 14 days, and ending tranches closed."""
    from leerrekening.ledger import expire_tranches

    report = expire_tranches()
    return {"expired": report.expired, "returned": str(report.returned), "notices": report.notices}


# --- Deposits and takeovers: each takes an id; re-running it applies nothing twice. -------------

# A database that is briefly unreachable is worth retrying; anything else is a bug to see in logs.
_DB_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 5, "max_retries": 10}


@shared_task(acks_late=True, reject_on_worker_lost=True, **_DB_RETRY)
def deposit_batch_apply(batch_id: int, fan_out: bool = True) -> dict:
    """Apply a confirmed deposit batch (upload, single deposit or scheme period). With `fan_out`,
    a batch of several chunks gets helper tasks (without fan_out), so several worker processes
    share it; every run claims only chunks nobody else holds."""
    from django.conf import settings

    from leerrekening.deposits.applying import deposit_batch_apply as apply

    helpers = settings.DEPOSIT_BATCH_WORKERS - 1 if fan_out else 0
    outcome = apply(batch_id=batch_id, helpers=helpers)
    return {"status": outcome.status, "lines": outcome.lines, "chunks": outcome.chunks}


@shared_task(acks_late=True, reject_on_worker_lost=True, **_DB_RETRY)
def takeover_apply(batch_id: int) -> str:
    """Apply a takeover: move its employments from one employer to the other."""
    from leerrekening.services.job_changes import takeover_apply as apply

    return apply(batch_id=batch_id)


@shared_task(acks_late=True)
def deposit_schemes_run() -> int:
    """Daily (beat): make and enqueue each active scheme's batch for its current period."""
    from leerrekening.deposits.schemes import schemes_run_due

    return len(schemes_run_due())


@shared_task(acks_late=True)
def deposit_batches_sweep() -> dict:
    """Every minute (beat): send again pending batches and takeovers nobody is working on
    (confirmed while Redis was down, or their message was lost)."""
    import datetime

    from django.conf import settings

    from leerrekening.deposits.applying import deposit_batches_sweep as sweep
    from leerrekening.services.job_changes import takeovers_sweep

    stale = datetime.timedelta(seconds=settings.DEPOSIT_BATCH_STALE_SECONDS)
    return {"batches": sweep(stale_after=stale), "takeovers": takeovers_sweep(stale_after=stale)}


@shared_task(acks_late=True)
def ledger_check_run() -> bool:
    """Hourly (beat): verify the ledger invariants; log an error naming each broken one."""
    from leerrekening.ledger_check import run_and_record

    results = run_and_record()
    broken = [r for r in results if not r.ok]
    for result in broken:
        logger.error("ledger_check: invariant broken: %s — %s", result.name, result.detail)
    return not broken


@shared_task(acks_late=True)
def one_time_code_email_send(user_id: int, code: str) -> None:
    """E-mail a booking confirmation code (the database holds only its hash)."""
    from accounts.models import User
    from leerportaal import mail

    user = User.objects.get(pk=user_id)
    mail.mail_send(
        "leerrekening/email/one_time_code",
        {"name": user.get_short_name(), "code": code},
        to=[user.email],
    )


@shared_task(acks_late=True)
def confirmation_locked_email_send(lockout_id: int) -> None:
    """Tell the worker that confirming is locked after too many wrong passwords or codes."""
    from django.utils import timezone

    from accounts.models import User
    from leerportaal import mail
    from leerrekening.models import ConfirmationLockout

    lockout = ConfirmationLockout.objects.filter(pk=lockout_id).first()
    user = User.objects.filter(pk=lockout.user_id).first() if lockout else None
    if user is None:
        return
    mail.mail_send(
        "leerrekening/email/confirmation_locked",
        {
            "name": user.get_short_name(),
            "attempts": lockout.attempts,
            "until": f"{timezone.localtime(lockout.locked_until):%H:%M}",
        },
        to=[user.email],
    )


# --- Approval decisions -------------------------------------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, **_DB_RETRY)
def approval_withdrawal_release(withdrawal_id: int) -> bool:
    """Release a chunk of a withdrawn approval's reservations; send itself again until done.
    Run twice (a duplicate delivery), it releases nothing twice (catalogue.withdrawal)."""
    from leerportaal.enqueue import send_task
    from leerrekening.catalogue.withdrawal import withdrawal_release_chunk

    done = withdrawal_release_chunk(withdrawal_id=withdrawal_id)
    if not done:
        send_task(approval_withdrawal_release, withdrawal_id)
    return done


@shared_task(acks_late=True)
def approval_withdrawals_sweep() -> int:
    """Every minute (beat): send again withdrawals left unfinished (a crash, a lost message)."""
    import datetime

    from django.conf import settings

    from leerrekening.catalogue.withdrawal import withdrawals_sweep

    stale = datetime.timedelta(seconds=settings.APPROVAL_WITHDRAWAL_STALE_SECONDS)
    return withdrawals_sweep(stale_after=stale)


@shared_task(acks_late=True)
def approval_decision_email_send(
    provider_id: int, course_id: int | None, decision: str, reason: str
) -> int:
    """E-mail an approval decision (approved, rejected, withdrawn) to the provider's staff."""
    from leerrekening.catalogue.services import approval_decision_email

    return approval_decision_email(
        provider_id=provider_id, course_id=course_id, decision=decision, reason=reason
    )
