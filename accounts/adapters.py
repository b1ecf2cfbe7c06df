"""django-allauth policy: no self-service sign-up (accounts come from employers and staff),
every change notice carries the "dit was ik niet" link (accounts/takeover.py), and allauth's mails
go out like the portal's own (leerportaal/mail.py): "Leerportaal: …", never "[host] …", with an
HTML part in the portal's layout, in the language of the request."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.utils import build_absolute_uri
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from leerportaal import mail


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # A learning account starts when an employer or fund registers a person; people then set
        # their password through "wachtwoord vergeten".
        return False

    def format_email_subject(self, subject: str) -> str:
        return mail.subject_format(subject)

    def send_mail(self, template_prefix, email, context) -> None:
        # allauth puts the Sites framework's "current_site" (the host) in the context; the
        # templates (templates/account/email/) use site_name and site_url instead.
        super().send_mail(template_prefix, email, {**mail.base_context(), **context})

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's `<prefix>_subject.txt` and `<prefix>_message.txt` (and `_message.html` if
        any) in the portal's layout, in the active language (the request's)."""
        request = context.get("request")
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        text = render_to_string(f"{template_prefix}_message.txt", context, request)
        try:
            html = render_to_string(f"{template_prefix}_message.html", context, request)
        except TemplateDoesNotExist:
            html = None
        return mail.message_build(
            subject=subject,
            text=text,
            html=html,
            to=[email] if isinstance(email, str) else email,
            headers=headers,
            from_email=self.get_from_email(),
        )

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
