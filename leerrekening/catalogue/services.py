"""Approving providers and courses: only what a coordinator approved can be booked.

The Dutch STAP-budget drew "aura healing" courses; England's ILA was drained by unvetted
providers. So a provider needs a KvK number and a quality mark, and each course its own approval,
which can only follow the provider's.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from leerportaal.errors import DomainError
from leerrekening.models import Course, Provider


class ApprovalError(DomainError):
    code = "approval_error"
    status = 403
    default_message = _("Alleen coördinatoren keuren opleiders en opleidingen goed.")


class ProviderIncomplete(ApprovalError):
    code = "provider_incomplete"
    status = 422
    default_message = _("%(name)s heeft geen geldig KvK-nummer of keurmerk.")

    def __init__(self, provider: Provider):
        self.provider_id = provider.pk
        super().__init__(self.default_message % {"name": provider.name})


class ProviderNotApproved(ApprovalError):
    code = "provider_not_approved"
    status = 409
    default_message = _("Keur eerst de opleider goed.")


def _require_coordinator(user: User) -> None:
    if not user.is_coordinator:
        raise ApprovalError


@transaction.atomic
def provider_approve(*, provider: Provider, by: User) -> Provider:
    """Approve a provider with an 8-digit KvK number and a quality mark. Idempotent.
    Raises ProviderIncomplete."""
    _require_coordinator(by)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if (
        not re.fullmatch(r"[0-9]{8}", provider.kvk_number or "")
        or not provider.quality_mark.strip()
    ):
        raise ProviderIncomplete(provider)
    if provider.approved_at is None:
        provider.approved_at = timezone.now()
        provider.approved_by = by
        provider.save(update_fields=["approved_at", "approved_by"])
    return provider


@transaction.atomic
def provider_approval_withdraw(*, provider: Provider, by: User) -> Provider:
    """Stop new bookings with a provider (existing bookings keep their reservations)."""
    _require_coordinator(by)
    Provider.objects.filter(pk=provider.pk).update(approved_at=None, approved_by=None)
    provider.refresh_from_db()
    return provider


@transaction.atomic
def course_approve(*, course: Course, by: User) -> Course:
    """Approve one course of an approved provider. Idempotent. Raises ProviderNotApproved."""
    _require_coordinator(by)
    course = (
        Course.objects.select_for_update(of=("self",)).select_related("provider").get(pk=course.pk)
    )
    if course.provider.approved_at is None:
        raise ProviderNotApproved
    if course.approved_at is None:
        course.approved_at = timezone.now()
        course.approved_by = by
        course.save(update_fields=["approved_at", "approved_by"])
    return course


@transaction.atomic
def course_approval_withdraw(*, course: Course, by: User) -> Course:
    """Take a course out of the catalogue for new bookings."""
    _require_coordinator(by)
    Course.objects.filter(pk=course.pk).update(approved_at=None, approved_by=None)
    course.refresh_from_db()
    return course
