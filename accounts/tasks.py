"""Celery tasks of accounts: thin, by id, idempotent enough to run twice (an e-mail)."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _


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
    with translation.override("nl"):
        send_mail(
            subject=_("Leerportaal: een account is bevroren"),
            message=_(
                "Iemand meldde 'dit was ik niet' bij een wijziging van zijn account "
                "(gebruiker %(id)s). Het account is bevroren: er kan niets geboekt of "
                "gewijzigd worden en alle sessies zijn beëindigd.\n\nNeem contact op met de "
                "persoon en hef de bevriezing op in de beheeromgeving (Gebruikers, filter "
                "'bevroren')."
            )
            % {"id": user.pk},
            from_email=None,
            recipient_list=recipients,
        )
