"""Approving providers and courses: only what a coordinator approved can be booked.

The Dutch STAP-budget drew "aura healing" courses; England's ILA was drained by unvetted
providers. So a provider needs a KvK number and a quality mark, and each course its own approval,
which can only follow the provider's.

Every decision (approve, reject, withdraw) is made by a coordinator who is not on the provider's
staff (a provider never approves itself, whatever path it takes), lands in the audit trail (the
rows are tracked by django-pghistory) and is e-mailed to the provider's staff. Rejecting and
withdrawing need a reason. A withdrawal stops new bookings at once and releases every open
reservation made before it (leerrekening/catalogue/withdrawal.py, in a Celery task).
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from leerportaal.enqueue import send_task_on_commit
from leerportaal.errors import DomainError
from leerrekening.catalogue import selectors
from leerrekening.models import ApprovalWithdrawal, Course, Provider

REASON_MAX_LENGTH = 2000


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


class OwnProviderDecision(ApprovalError):
    code = "approval_own_provider"
    status = 403
    default_message = _("Over een opleider waar u zelf werkt, beslist een andere coördinator.")


class ReasonRequired(ApprovalError):
    code = "approval_reason_required"
    status = 422
    default_message = _("Geef een reden: de opleider krijgt die per e-mail.")


class NotApproved(ApprovalError):
    code = "approval_not_approved"
    status = 409
    default_message = _("Deze goedkeuring is al ingetrokken of was er nog niet.")


class AlreadyApproved(ApprovalError):
    code = "approval_already_approved"
    status = 409
    default_message = _("Dit is al goedgekeurd: trek de goedkeuring in om het te stoppen.")


def _require_coordinator(user: User, provider: Provider) -> None:
    if not user.is_coordinator:
        raise ApprovalError
    if provider.memberships.filter(user=user).exists():
        raise OwnProviderDecision


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired
    return reason[:REASON_MAX_LENGTH]


def _decision_mail(*, provider: Provider, course: Course | None, decision: str, reason: str = ""):
    from leerrekening.tasks import approval_decision_email_send

    send_task_on_commit(
        approval_decision_email_send, provider.pk, course.pk if course else None, decision, reason
    )


_APPROVED = {"approved_by": None, "rejected_at": None, "rejected_by": None, "rejection_reason": ""}


def _approve(row: Provider | Course, by: User) -> bool:
    if row.approved_at is not None:
        return False
    row.approved_at = timezone.now()
    for field, value in {**_APPROVED, "approved_by": by}.items():
        setattr(row, field, value)
    row.save(update_fields=["approved_at", *_APPROVED])
    return True


def _refuse(model, pk: int, *, by: User, reason: str, at) -> None:
    """Rejection and withdrawal alike: neither approved nor waiting, with who, when and why."""
    model.objects.filter(pk=pk).update(
        approved_at=None, approved_by=None, rejected_at=at, rejected_by=by, rejection_reason=reason
    )


def approval_decision_email(
    *, provider_id: int, course_id: int | None, decision: str, reason: str
) -> int:
    """E-mail a decision to every active staff member of the provider; the number of mails."""
    from leerportaal import mail

    provider = Provider.objects.get(pk=provider_id)
    course = Course.objects.get(pk=course_id) if course_id is not None else None
    emails = selectors.provider_staff_emails(provider=provider)
    for email in emails:
        mail.mail_send(
            "leerrekening/email/approval_decision",
            {"provider": provider, "course": course, "decision": decision, "reason": reason},
            to=[email],
        )
    return len(emails)


# --- Approve --------------------------------------------------------------------------------------


@transaction.atomic
def provider_approve(*, provider: Provider, by: User) -> Provider:
    """Approve a provider with an 8-digit KvK number and a quality mark. Idempotent.
    Raises ProviderIncomplete, OwnProviderDecision."""
    _require_coordinator(by, provider)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if (
        not re.fullmatch(r"[0-9]{8}", provider.kvk_number or "")
        or not provider.quality_mark.strip()
    ):
        raise ProviderIncomplete(provider)
    if _approve(provider, by):
        _decision_mail(provider=provider, course=None, decision="approved")
    return provider


@transaction.atomic
def course_approve(*, course: Course, by: User) -> Course:
    """Approve one course of an approved provider. Idempotent.
    Raises ProviderNotApproved, OwnProviderDecision."""
    _require_coordinator(by, course.provider)
    course = (
        Course.objects.select_for_update(of=("self",)).select_related("provider").get(pk=course.pk)
    )
    if course.provider.approved_at is None:
        raise ProviderNotApproved
    if _approve(course, by):
        _decision_mail(provider=course.provider, course=course, decision="approved")
    return course


# --- Reject ---------------------------------------------------------------------------------------


@transaction.atomic
def provider_reject(*, provider: Provider, by: User, reason: str) -> Provider:
    """Refuse a waiting provider with a reason (e-mailed to its staff). An approved provider is
    withdrawn instead (provider_approval_withdraw), which also releases its reservations.
    Raises ReasonRequired, OwnProviderDecision, AlreadyApproved."""
    _require_coordinator(by, provider)
    reason = _reason(reason)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.approved_at is not None:
        raise AlreadyApproved
    _refuse(Provider, provider.pk, by=by, reason=reason, at=timezone.now())
    _decision_mail(provider=provider, course=None, decision="rejected", reason=reason)
    provider.refresh_from_db()
    return provider


@transaction.atomic
def course_reject(*, course: Course, by: User, reason: str) -> Course:
    """Refuse a waiting course with a reason (e-mailed to its provider's staff).
    Raises ReasonRequired, OwnProviderDecision, AlreadyApproved."""
    _require_coordinator(by, course.provider)
    reason = _reason(reason)
    course = (
        Course.objects.select_for_update(of=("self",)).select_related("provider").get(pk=course.pk)
    )
    if course.approved_at is not None:
        raise AlreadyApproved
    _refuse(Course, course.pk, by=by, reason=reason, at=timezone.now())
    _decision_mail(provider=course.provider, course=course, decision="rejected", reason=reason)
    course.refresh_from_db()
    return course


# --- Withdraw -------------------------------------------------------------------------------------


def _withdrawal_start(
    *, provider: Provider, course: Course | None, by: User, reason: str
) -> ApprovalWithdrawal:
    """Record the withdrawal, release its reservations after the commit, tell the provider.
    withdrawn_at is taken after the course rows are locked: every booking made before it has
    committed, and every later one reads the withdrawal (and is refused)."""
    from leerrekening.tasks import approval_withdrawal_release

    now = timezone.now()
    if course is None:
        _refuse(Provider, provider.pk, by=by, reason=reason, at=now)
    else:
        _refuse(Course, course.pk, by=by, reason=reason, at=now)
    withdrawal = ApprovalWithdrawal.objects.create(
        provider=provider, course=course, reason=reason, withdrawn_by=by, withdrawn_at=now
    )
    send_task_on_commit(approval_withdrawal_release, withdrawal.pk)
    _decision_mail(provider=provider, course=course, decision="withdrawn", reason=reason)
    return withdrawal


@transaction.atomic
def provider_approval_withdraw(*, provider: Provider, by: User, reason: str) -> ApprovalWithdrawal:
    """Stop new bookings with a provider at once; every open reservation of its courses made
    before now goes back to its worker in full (a Celery task; paid bookings are left to
    settlement). Raises ReasonRequired, OwnProviderDecision, NotApproved."""
    _require_coordinator(by, provider)
    reason = _reason(reason)
    # A booking locks its course's row (bookings.sql): locking them all here lets bookings in
    # flight commit first, and makes every later one wait and then see the withdrawal. Courses
    # first, then the provider, as a booking does (its ledger rows point at the provider), and
    # the provider without its key: a booking's foreign keys to it never wait for this.
    list(
        Course.objects.select_for_update()
        .filter(provider_id=provider.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    provider = Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)
    if provider.approved_at is None:
        raise NotApproved
    return _withdrawal_start(provider=provider, course=None, by=by, reason=reason)


@transaction.atomic
def course_approval_withdraw(*, course: Course, by: User, reason: str) -> ApprovalWithdrawal:
    """Take a course out of the catalogue for new bookings at once and release every open
    reservation made on it (see provider_approval_withdraw).
    Raises ReasonRequired, OwnProviderDecision, NotApproved."""
    _require_coordinator(by, course.provider)
    reason = _reason(reason)
    course = (
        Course.objects.select_for_update(of=("self",)).select_related("provider").get(pk=course.pk)
    )
    if course.approved_at is None:
        raise NotApproved
    return _withdrawal_start(provider=course.provider, course=course, by=by, reason=reason)
