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
    # Registration (issue 18): visiting address, contact person, bank account and terms.
    street = models.CharField(_("straat"), max_length=200, blank=True, default="")
    house_number = models.CharField(_("huisnummer"), max_length=20, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=7, blank=True, default="")
    city = models.CharField(_("plaats"), max_length=100, blank=True, default="")
    contact_name = models.CharField(_("contactpersoon"), max_length=200, blank=True, default="")
    contact_phone = models.CharField(_("telefoonnummer"), max_length=20, blank=True, default="")
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, default="")
    bic = models.CharField(_("BIC"), max_length=11, blank=True, default="")
    terms_accepted_at = models.DateTimeField(
        _("voorwaarden geaccepteerd op"), null=True, blank=True
    )
    iban_changed_at = models.DateTimeField(_("IBAN gewijzigd op"), null=True, blank=True)
    # A new IBAN gets no payouts until then (payout fraud: a stolen login changes the account).
    payouts_paused_until = models.DateTimeField(
        _("uitbetalingen gepauzeerd tot"), null=True, blank=True
    )
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


# Removing a colleague is audited too (the delete event).
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ProviderMembership(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", _("Beheerder")
        STAFF = "staff", _("Medewerker")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rol"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        verbose_name = _("medewerker van opleider")
        verbose_name_plural = _("medewerkers van opleiders")
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="provider_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER


def private_storage():
    """Proof files live outside the web root (settings.PRIVATE_MEDIA_ROOT), served only by a view."""
    from leerportaal.storage import PrivateStorage

    return PrivateStorage()


def proof_upload_to(instance, filename: str) -> str:
    # The name is ours, never the uploader's: a random name with the extension of the checked type.
    import uuid

    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"providers/{instance.provider_id}/proof/{uuid.uuid4().hex}.{extension}"


@pghistory.track()
class ProviderQualityMark(models.Model):
    class Mark(models.TextChoices):
        NRTO = "nrto", _("NRTO-keurmerk")
        CEDEO = "cedeo", _("CEDEO")
        CRKBO = "crkbo", _("CRKBO-registratie")
        NVAO = "nvao", _("NVAO-accreditatie")
        MBO_HBO = "mbo_hbo", _("Erkende MBO- of HBO-instelling")

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="quality_marks", verbose_name=_("opleider")
    )
    mark = models.CharField(_("keurmerk"), max_length=10, choices=Mark.choices)
    brin = models.CharField(_("BRIN-code"), max_length=4, blank=True, default="")
    proof = models.FileField(
        _("bewijs"), storage=private_storage, upload_to=proof_upload_to, max_length=200
    )
    proof_name = models.CharField(_("bestandsnaam"), max_length=200, blank=True, default="")
    proof_content_type = models.CharField(max_length=50, default="application/pdf")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("keurmerk van opleider")
        verbose_name_plural = _("keurmerken van opleiders")
        constraints = [
            models.UniqueConstraint(fields=["provider", "mark"], name="provider_quality_mark_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_mark_display()} ({self.provider})"


class ProviderInvitation(models.Model):
    """An invitation of a colleague by e-mail: single use, expiring; only the token's hash is kept."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mailadres"))
    role = models.CharField(
        _("rol"),
        max_length=10,
        choices=ProviderMembership.Role.choices,
        default=ProviderMembership.Role.STAFF,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("verloopt op"))
    accepted_at = models.DateTimeField(_("geaccepteerd op"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("uitnodiging van opleider")
        verbose_name_plural = _("uitnodigingen van opleiders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} @ {self.provider}"


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
