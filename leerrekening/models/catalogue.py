"""Providers and courses.

Only approved providers with approved courses can be booked (the lesson of the English ILA and the
Dutch STAP-budget: unvetted providers drained the schemes). A provider never reaches a worker's
account; it only sees bookings made for its own courses.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leerrekening.models.approvals import Rejectable


class ApprovalQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(approved_at__isnull=False)

    def pending(self):
        """Waiting for a coordinator: neither approved nor refused (models/approvals.py)."""
        return self.filter(approved_at__isnull=True, rejected_at__isnull=True)


@pghistory.track()
class Provider(Rejectable):
    name = models.CharField(_("naam"), max_length=200)
    kvk_number = models.CharField(_("KvK-nummer"), max_length=8, unique=True)
    quality_mark = models.CharField(
        _("keurmerk"),
        max_length=100,
        help_text=_("Bijvoorbeeld NRTO, CRKBO of NVAO."),
    )
    website = models.URLField(_("website"), blank=True)
    approved_at = models.DateTimeField(_("goedgekeurd op"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("goedgekeurd door"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ProviderMembership",
        related_name="providers_managed",
        verbose_name=_("medewerkers"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("opleider")
        verbose_name_plural = _("opleiders")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kvk_number__regex=r"^[0-9]{8}$"), name="provider_kvk_8_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class ProviderMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("medewerker van opleider")
        verbose_name_plural = _("medewerkers van opleiders")
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="provider_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


@pghistory.track()
class Course(Rejectable):
    class Format(models.TextChoices):
        ONLINE = "online", _("Online")
        ON_SITE = "on_site", _("Op locatie")
        MIXED = "mixed", _("Online en op locatie")

    provider = models.ForeignKey(
        Provider, verbose_name=_("opleider"), on_delete=models.PROTECT, related_name="courses"
    )
    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(_("omschrijving"))
    price = models.DecimalField(
        _("prijs"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    format = models.CharField(_("vorm"), max_length=10, choices=Format.choices)
    location = models.CharField(_("plaats"), max_length=100, blank=True)
    duration_hours = models.PositiveIntegerField(_("duur in uren"))
    start_date = models.DateField(_("startdatum"))
    capacity = models.PositiveIntegerField(_("aantal plaatsen"))
    approved_at = models.DateTimeField(_("goedgekeurd op"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("goedgekeurd door"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("opleiding")
        verbose_name_plural = _("opleidingen")
        ordering = ["start_date", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="course_price_positive"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="course_capacity_positive"),
            models.UniqueConstraint(
                fields=["provider", "title", "start_date"], name="course_unique_per_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title
