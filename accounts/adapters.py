"""django-allauth policy: no self-service sign-up (accounts come from employers and staff), and
every change notice carries the "dit was ik niet" link (accounts/takeover.py)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.utils import build_absolute_uri


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # A learning account starts when an employer or fund registers a person; people then set
        # their password through "wachtwoord vergeten".
        return False

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        """allauth's notices of a changed address, password or two-step setting (and ours of an
        added address) go to the current verified address with a link that freezes the account
        (templates/account/email/base_notification.txt)."""
        from accounts.takeover import freeze_url

        context = {
            **(context or {}),
            "freeze_url": build_absolute_uri(self.request, freeze_url(user=user)),
        }
        super().send_notification_mail(template_prefix, user, context=context, email=email)


def email_added_notify(sender, request, user, email_address, **kwargs) -> None:
    """allauth's email_added signal: the current address hears of a new one at once, before it
    is verified, so the owner can stop a takeover before it completes."""
    if email_address.verified:
        return
    from allauth.account.adapter import get_adapter

    get_adapter(request).send_notification_mail(
        "accounts/email/email_added", user, {"new_email": email_address.email}
    )
