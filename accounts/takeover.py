""" "Dit was ik niet": freezing an account that someone else took over (issue 16).

Every change of address, password or two-step settings is told to the person's current (verified)
address, with a link that works without logging in (`freeze_url`). Following it freezes the
account:

- nothing is booked (bookings.services refuses a frozen worker) and nothing is changed: every
  write of a frozen account is refused (accounts.security.FrozenAccountMiddleware);
- every session of the account ends: the revocation time is part of the session hash Django checks
  on each request (User._get_session_auth_hash), so a stolen session is signed out at its next
  request, wherever it is stored (Redis and PostgreSQL, leerportaal/sessions.py);
- the coordinators are told by e-mail (a Celery task after the commit) and see it in the admin,
  where only they can unfreeze it.

The link is signed for this one purpose (its own salt), expires after
ACCOUNT_FREEZE_LINK_MAX_AGE seconds and works once: it names the account's last revocation, so
after a freeze (even once unfrozen) it is spent.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from leerportaal import mail
from leerportaal.enqueue import send_task_on_commit

_SALT = "accounts.takeover.freeze-link"


def freeze_token_make(*, user: User) -> str:
    revoked = user.sessions_revoked_at.isoformat() if user.sessions_revoked_at else ""
    return signing.dumps({"u": user.pk, "r": revoked}, salt=_SALT, compress=True)


def freeze_url(*, user: User) -> str:
    """The path of the "dit was ik niet" link for `user` (without scheme and host)."""
    return reverse("accounts:account-freeze", args=[freeze_token_make(user=user)])


def freeze_token_user(*, token: str) -> User | None:
    """The account a valid, unexpired, unspent link names; None for anything else."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.ACCOUNT_FREEZE_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None:
        return None
    revoked = user.sessions_revoked_at.isoformat() if user.sessions_revoked_at else ""
    return user if data.get("r") == revoked else None


@transaction.atomic
def account_freeze(*, user: User) -> bool:
    """Freeze `user`'s account and end all its sessions; tell the coordinators after the commit.

    Returns False (and changes nothing) when it was already frozen."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.frozen_at is not None:
        return False
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(frozen_at=now, sessions_revoked_at=now)
    user.frozen_at = user.sessions_revoked_at = now
    from accounts.tasks import account_frozen_notify_coordinators

    send_task_on_commit(account_frozen_notify_coordinators, user.pk)
    return True


def account_frozen_notify(*, user_id: int) -> bool:
    """Tell every active coordinator that an account was frozen through "dit was ik niet".

    One mail to all coordinators, in the portal's language. False when there is nothing to tell
    (unfrozen in the meantime, or no coordinator). Safe to run twice (a second mail at worst)."""
    user = User.objects.filter(pk=user_id, frozen_at__isnull=False).first()
    if user is None:
        return False
    recipients = list(
        User.objects.filter(is_coordinator=True, is_active=True).values_list("email", flat=True)
    )
    if not recipients:
        return False
    mail.mail_send("accounts/email/account_frozen", {"user_id": user.pk}, to=recipients)
    return True


@transaction.atomic
def account_unfreeze(*, user: User) -> bool:
    """A coordinator lifts the freeze (after talking to the person). Sessions ended by the
    freeze stay ended. Returns False when it was not frozen."""
    changed = User.objects.filter(pk=user.pk, frozen_at__isnull=False).update(frozen_at=None)
    user.frozen_at = None
    return bool(changed)
