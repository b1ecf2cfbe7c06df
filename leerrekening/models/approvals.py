"""Decisions on providers and courses beside their approval: a refusal, and a withdrawal's job.

A coordinator approves (approved_at/approved_by on the row itself), rejects, or withdraws an
approval. A rejection and a withdrawal are both a refusal: the row is then neither approved nor
waiting in the queue, and rejected_at/rejected_by/rejection_reason say who refused it, when and
why. The rows are tracked by django-pghistory (the audit trail), so every decision is there with
the request that made it.

A withdrawal also releases every open reservation of the provider's or the course's bookings
(leerrekening/catalogue/withdrawal.py): an ApprovalWithdrawal row is that job, done in chunks by a
Celery task and finished when released_at is set; a beat sweeper restarts one left unfinished.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Waiting for a coordinator: neither approved nor refused. ApprovalQuerySet.pending() is the same
# rule in the ORM; the admin start page counts with this one (selectors_dashboard).
PENDING_APPROVAL_SQL = "approved_at IS NULL AND rejected_at IS NULL"


class Rejectable(models.Model):
    """The last refusal (a rejection or a withdrawal) of a provider or a course."""

    rejected_at = models.DateTimeField(_("afgewezen op"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("afgewezen door"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_reason = models.TextField(_("reden van afwijzing"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.approved_at is None and self.rejected_at is None


class ApprovalWithdrawal(models.Model):
    """One withdrawal of a provider's or a course's approval, and its release of reservations.

    Bookings of the provider (course is null) or of the course made up to withdrawn_at are
    released; one made later (after a new approval) is not this withdrawal's business."""

    provider = models.ForeignKey(
        "leerrekening.Provider",
        verbose_name=_("opleider"),
        on_delete=models.PROTECT,
        related_name="withdrawals",
    )
    course = models.ForeignKey(
        "leerrekening.Course",
        verbose_name=_("opleiding"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawals",
    )
    reason = models.TextField(_("reden"))
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ingetrokken door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("ingetrokken op"))
    released_count = models.PositiveIntegerField(_("vrijgegeven reserveringen"), default=0)
    released_at = models.DateTimeField(_("alles vrijgegeven op"), null=True, blank=True)
    # Touched by every chunk: the sweeper sends again only a job nobody worked on for a while.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("intrekking van goedkeuring")
        verbose_name_plural = _("intrekkingen van goedkeuring")
        ordering = ["-withdrawn_at", "-id"]
        indexes = [
            models.Index(
                fields=["withdrawn_at"],
                name="withdrawal_unfinished",
                condition=Q(released_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course or self.provider} ({self.withdrawn_at:%d-%m-%Y})"
