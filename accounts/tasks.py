"""Celery tasks of accounts: thin, by id, idempotent enough to run twice (an e-mail)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def account_frozen_notify_coordinators(user_id: int) -> None:
    """Tell every active coordinator that an account was frozen (accounts.takeover)."""
    from accounts.takeover import account_frozen_notify

    account_frozen_notify(user_id=user_id)
