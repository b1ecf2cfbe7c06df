"""Providers and courses in the admin, for coordinators only: read-mostly, decisions by action.

Nothing is added, changed or deleted here (providers register themselves; courses come from their
provider). The actions approve, reject and withdraw call catalogue.services, so the rules hold as
on the approval queue page: a reason for rejecting and withdrawing (the field beside the action),
never about a provider the coordinator works for, every decision e-mailed and in the audit trail.
Employer staff and fund staff see none of it (CoordinatorOnlyAdmin).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scoping import CoordinatorOnlyAdmin
from leerportaal.errors import message_error
from leerrekening.catalogue import services
from leerrekening.models import ApprovalWithdrawal, Course, Provider


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reden (verplicht bij afwijzen en intrekken)"),
        required=False,
        max_length=services.REASON_MAX_LENGTH,
    )


class ReadMostlyAdmin(CoordinatorOnlyAdmin):
    action_form = ReasonActionForm

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def _decide_each(self, request, queryset, decide) -> None:
        done = 0
        for row in queryset:
            try:
                decide(row, request.user, request.POST.get("reason", ""))
            except services.ApprovalError as exc:
                message_error(request, exc, about=str(row))
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d besluit vastgelegd.", "%(count)d besluiten vastgelegd.", done)
                % {"count": done},
            )


@admin.register(Provider)
class ProviderAdmin(ReadMostlyAdmin):
    list_display = ["name", "kvk_number", "quality_mark", "approved_at", "rejected_at"]
    list_filter = [("approved_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "kvk_number"]
    actions = ["approve", "reject", "withdraw"]

    @admin.action(description=_("Goedkeuren"))
    def approve(self, request, queryset):
        self._decide_each(
            request, queryset, lambda row, by, _r: services.provider_approve(provider=row, by=by)
        )

    @admin.action(description=_("Afwijzen (met reden)"))
    def reject(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            lambda row, by, reason: services.provider_reject(provider=row, by=by, reason=reason),
        )

    @admin.action(description=_("Goedkeuring intrekken (met reden)"))
    def withdraw(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            lambda row, by, reason: services.provider_approval_withdraw(
                provider=row, by=by, reason=reason
            ),
        )


@admin.register(Course)
class CourseAdmin(ReadMostlyAdmin):
    list_display = ["title", "provider", "price", "start_date", "approved_at", "rejected_at"]
    list_filter = [("approved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["provider"]
    search_fields = ["title", "provider__name"]
    actions = ["approve", "reject", "withdraw"]

    @admin.action(description=_("Goedkeuren"))
    def approve(self, request, queryset):
        self._decide_each(
            request, queryset, lambda row, by, _r: services.course_approve(course=row, by=by)
        )

    @admin.action(description=_("Afwijzen (met reden)"))
    def reject(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            lambda row, by, reason: services.course_reject(course=row, by=by, reason=reason),
        )

    @admin.action(description=_("Goedkeuring intrekken (met reden)"))
    def withdraw(self, request, queryset):
        self._decide_each(
            request,
            queryset,
            lambda row, by, reason: services.course_approval_withdraw(
                course=row, by=by, reason=reason
            ),
        )


@admin.register(ApprovalWithdrawal)
class ApprovalWithdrawalAdmin(ReadMostlyAdmin):
    """Withdrawals and how far their release of reservations got."""

    list_display = [
        "provider",
        "course",
        "withdrawn_at",
        "withdrawn_by",
        "released_count",
        "released_at",
    ]
    list_select_related = ["provider", "course", "withdrawn_by"]
    actions = None
