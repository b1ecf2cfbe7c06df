"""Celery tasks of accounts: thin, by id, idempotent enough to run twice (an e-mail)."""

from __future__ import annotations

from celery import shared_task

from leerportaal import mail


@shared_task(acks_late=True)
def account_frozen_notify_coordinators(user_id: int) -> None:
    """Tell every active coordinator that an account was frozen through "dit was ik niet"."""
    from accounts.models import User

    user = User.objects.filter(pk=user_id, frozen_at__isnull=False).first()
    if user is None:  # unfrozen in the meantime: nothing to tell
        return
    recipients = list(
        User.objects.filter(is_coordinator=True, is_active=True).values_list("email", flat=True)
    )
    if not recipients:
        return
    # One mail to all coordinators (as before), in the portal's language.
    mail.mail_send("accounts/email/account_frozen", {"user_id": user.pk}, to=recipients)
