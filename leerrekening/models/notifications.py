"""Notifications to a person, in the portal and by e-mail (sent by Celery, once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Storting")
        BOOKING = "booking", _("Boeking")
        PAYMENT = "payment", _("Betaling")
        RELEASE = "release", _("Reservering vrijgegeven")
        EXPIRY_NOTICE = "expiry_notice", _("Tegoed vervalt binnenkort")
        EXPIRED = "expired", _("Tegoed vervallen")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    # Makes "announce once" a database fact: the same notice is never created twice.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bericht")
        verbose_name_plural = _("berichten")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            # The e-mail sweeper's look-up: small, as almost every notification is e-mailed.
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_not_emailed",
            ),
        ]

    def __str__(self) -> str:
        return self.title
