"""Admin access by role, not by Django's per-model permissions.

Coordinators (platform staff) manage everything an admin class allows. Employer staff see and
change only rows of their own organisation: `get_queryset` filters, so a guessed URL of another
organisation's object is a 404 ("does not exist"), never a page with its data.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet


def is_coordinator(user) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_coordinator or user.is_superuser))


def managed_employer_ids(user) -> list[int]:
    if not (user.is_active and user.is_staff):
        return []
    cached = getattr(user, "_managed_employer_ids", None)
    if cached is None:
        cached = list(user.employer_memberships.values_list("employer_id", flat=True))
        user._managed_employer_ids = cached
    return cached


class CoordinatorOnlyAdmin(admin.ModelAdmin):
    """Visible to coordinators only."""

    def has_module_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EmployerScopedAdmin(admin.ModelAdmin):
    """Coordinators see all rows; employer staff the rows of their own employers.

    Subclasses name the path from the model to its employer in `employer_field`.
    """

    employer_field = "employer"
    employer_staff_can_add = False
    employer_staff_can_change = False

    def _is_employer_staff(self, request) -> bool:
        return bool(managed_employer_ids(request.user))

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if is_coordinator(request.user):
            return queryset
        return queryset.filter(**{f"{self.employer_field}__in": managed_employer_ids(request.user)})

    def has_module_permission(self, request) -> bool:
        return is_coordinator(request.user) or self._is_employer_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user) or self._is_employer_staff(request)

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user) or (
            self.employer_staff_can_add and self._is_employer_staff(request)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user) or (
            self.employer_staff_can_change and self._is_employer_staff(request)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "employer" and not is_coordinator(request.user):
            from accounts.models import Employer

            kwargs["queryset"] = Employer.objects.filter(id__in=managed_employer_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
