from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.admin_roster import RosterAdminMixin
from accounts.admin_scoping import CoordinatorOnlyAdmin, EmployerScopedAdmin, is_coordinator
from accounts.models import Employer, EmployerMembership, Employment, Sector, User


@admin.register(User)
class UserAdmin(CoordinatorOnlyAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "is_worker",
        "is_ambassador",
        "is_coordinator",
        "is_active",
    ]
    list_filter = ["is_worker", "is_ambassador", "is_coordinator", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Persoon"), {"fields": ("full_name",)}),
        (
            _("Rollen"),
            {"fields": ("is_worker", "is_ambassador", "is_coordinator", "is_staff", "is_active")},
        ),
        (_("Datums"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]


@admin.register(Sector)
class SectorAdmin(CoordinatorOnlyAdmin):
    list_display = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class EmployerMembershipInline(admin.TabularInline):
    model = EmployerMembership
    extra = 0
    autocomplete_fields = ["user"]

    # Who manages an employer is decided by platform staff, not by the employer itself.
    def has_view_permission(self, request, obj=None):
        return is_coordinator(request.user)

    def has_add_permission(self, request, obj=None):
        return is_coordinator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_coordinator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_coordinator(request.user)


@admin.register(Employer)
class EmployerAdmin(EmployerScopedAdmin):
    employer_field = "id"
    list_display = ["name", "kvk_number", "sector"]
    search_fields = ["name", "kvk_number"]
    list_filter = ["sector"]
    inlines = [EmployerMembershipInline]


@admin.register(Employment)
class EmploymentAdmin(RosterAdminMixin, EmployerScopedAdmin):
    # Employer staff read their roster here; adding people goes through the roster import,
    # which matches by employee number and never lets an employer browse all users.
    list_display = ["employee_number", "worker_name", "employer", "start_date", "end_date"]
    # Only employers in the (scoped) queryset: a plain filter would list every employer's name.
    list_filter = [("employer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["employee_number", "worker__full_name", "worker__email"]
    autocomplete_fields = ["worker"]
    list_select_related = ["worker", "employer"]
    actions = ["end_employments"]

    @admin.display(description=_("werkende"), ordering="worker__full_name")
    def worker_name(self, obj: Employment) -> str:
        return obj.worker.full_name
