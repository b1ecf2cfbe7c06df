"""Bookings: a worker books an approved course; the budget pays through a two-phase reservation.

A booking's life, and the money beside it (leerrekening/bookings/services.py does every step):

    requested -> reserved      the price (or what the budget covers) is reserved: worker -> escrow
    reserved  -> started       the provider declared the start: escrow -> provider (payment)
    reserved  -> cancelled     the worker cancelled before the start: escrow -> worker, in full
    any       -> frozen        the worker said "dit was ik niet": nothing moves until a coordinator
                               looks at it (release: escrow -> worker; or restore the old status)

What the database guarantees here:

- one active booking (requested, reserved, started, frozen) per worker and course;
- a booking is created at most once per worker and request token (a double click, a retry);
- the budget part and the worker's own contribution are never negative and add up to the price;
- only a booking the worker said is about work and career is paid from the budget (the tax rule);
- frozen exactly when frozen_at is set; a reservation belongs to at most one booking.

Capacity and the caps (pending bookings per worker, bookings per course per period) are checked
by the service under row locks on the worker and the course, so a rush cannot overbook.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from leerrekening.models.ledger import MONEY

ACTIVE_STATUSES = ("requested", "reserved", "started", "frozen")
PENDING_STATUSES = ("requested", "reserved")


class Booking(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Aangevraagd")
        RESERVED = "reserved", _("Geboekt, geld gereserveerd")
        STARTED = "started", _("Gestart, betaald")
        CANCELLED = "cancelled", _("Geannuleerd")
        FROZEN = "frozen", _("Geblokkeerd: dit was ik niet")

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("werkende"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    course = models.ForeignKey(
        "leerrekening.Course",
        verbose_name=_("opleiding"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    reservation = models.OneToOneField(
        "leerrekening.Reservation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booking",
    )
    price = models.DecimalField(_("prijs"), **MONEY)
    budget_amount = models.DecimalField(_("betaald uit leerrekening"), **MONEY)
    own_contribution = models.DecimalField(_("eigen bijdrage"), **MONEY)
    work_related = models.BooleanField(_("over werk en loopbaan"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    status_before_freeze = models.CharField(max_length=12, blank=True)
    # A token the booking form carries: the same submit twice is one booking.
    request_token = models.CharField(max_length=64)
    frozen_at = models.DateTimeField(_("geblokkeerd op"), null=True, blank=True)
    frozen_reason = models.TextField(_("reden blokkade"), blank=True)
    cancelled_at = models.DateTimeField(_("geannuleerd op"), null=True, blank=True)
    started_at = models.DateTimeField(_("start gemeld op"), null=True, blank=True)
    started_declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("geboekt op"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("boeking")
        verbose_name_plural = _("boekingen")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "course"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="booking_one_active_per_worker_course",
            ),
            models.UniqueConstraint(
                fields=["worker", "request_token"], name="booking_once_per_request_token"
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__gte=0)
                & Q(own_contribution__gte=0)
                & Q(price=F("budget_amount") + F("own_contribution")),
                name="booking_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(work_related=True) | Q(budget_amount=0),
                name="booking_budget_only_for_work",
            ),
            models.CheckConstraint(
                condition=Q(status="frozen", frozen_at__isnull=False)
                | (~Q(status="frozen") & Q(frozen_at__isnull=True)),
                name="booking_frozen_iff_frozen_at",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "-created_at"], name="booking_worker_recent"),
            models.Index(fields=["course", "created_at"], name="booking_course_created"),
            models.Index(fields=["status"], name="booking_frozen", condition=Q(status="frozen")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.course_id} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class OneTimeCode(models.Model):
    """A 6-digit code e-mailed to confirm a booking without a smartphone.

    Only its hash is stored; it expires after 10 minutes and allows at most 5 attempts.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_codes"
    )
    purpose = models.CharField(max_length=40)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("eenmalige code")
        verbose_name_plural = _("eenmalige codes")
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="otc_user_recent")]

    def __str__(self) -> str:
        return f"code for {self.user_id} ({self.purpose})"


class ConfirmationAttempt(models.Model):
    """A wrong confirmation (password or e-mailed code) before a booking; only wrong ones are
    stored. bookings.confirmation writes it in its own committed write, so a refused, rolled-back
    request still counts. No database foreign key: the write may run on a second connection,
    which must never wait for the caller's transaction (the user row is locked there)."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("wachtwoord")
        CODE = "code", _("code per e-mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
        verbose_name=_("gebruiker"),
    )
    method = models.CharField(_("manier"), max_length=10, choices=Method.choices)
    created_at = models.DateTimeField(_("tijdstip"))

    class Meta:
        verbose_name = _("mislukte bevestiging")
        verbose_name_plural = _("mislukte bevestigingen")
        indexes = [models.Index(fields=["user", "-created_at"], name="confattempt_user_recent")]

    def __str__(self) -> str:
        return f"wrong {self.method} of {self.user_id}"


class ConfirmationLockout(models.Model):
    """Confirmation locked for a worker after too many wrong attempts: until `locked_until`
    neither the password nor a code confirms a booking. Coordinators see these in the admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
        verbose_name=_("gebruiker"),
    )
    locked_at = models.DateTimeField(_("geblokkeerd op"))
    locked_until = models.DateTimeField(_("geblokkeerd tot"))
    attempts = models.PositiveSmallIntegerField(_("mislukte pogingen"))

    class Meta:
        verbose_name = _("blokkade van bevestigen")
        verbose_name_plural = _("blokkades van bevestigen")
        indexes = [models.Index(fields=["user", "-locked_until"], name="conflock_user_until")]

    def __str__(self) -> str:
        return f"confirmation locked for {self.user_id} until {self.locked_until:%Y-%m-%d %H:%M}"
