from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from accounts.admin_roster import RosterAdminMixin
from accounts.admin_scoping import CoordinatorOnlyAdmin, EmployerScopedAdmin, is_coordinator
from accounts.api_keys import ApiKeyError, api_key_create, api_key_revoke
from accounts.models import ApiKey, Employer, EmployerMembership, Employment, Sector, User
from accounts.security import ReauthenticationRequiredAdminMixin
from accounts.takeover import account_unfreeze


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
        "frozen_at",
    ]
    list_filter = [
        "is_worker",
        "is_ambassador",
        "is_coordinator",
        "is_staff",
        "is_active",
        ("frozen_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Persoon"), {"fields": ("full_name",)}),
        (
            _("Rollen"),
            {"fields": ("is_worker", "is_ambassador", "is_coordinator", "is_staff", "is_active")},
        ),
        (_("Datums"), {"fields": ("last_login", "date_joined", "frozen_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined", "frozen_at"]
    actions = ["unfreeze"]

    @admin.action(description=_("Bevriezing opheffen (na contact met de persoon)"))
    def unfreeze(self, request, queryset):
        count = sum(
            account_unfreeze(user=user) for user in queryset.filter(frozen_at__isnull=False)
        )
        self.message_user(request, _("%(count)s account(s) ontdooid.") % {"count": count})

    def get_readonly_fields(self, request, obj=None):
        # A login address changes only by the person, through a link sent to the new address
        # (accounts/addresses.py): here it would skip that verification.
        return [*self.readonly_fields, "email"] if obj else self.readonly_fields


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
    search_fields = ["employee_number", "full_name", "email"]
    autocomplete_fields = ["worker"]
    list_select_related = ["worker", "employer"]
    actions = ["end_employments"]

    def get_exclude(self, request, obj=None):
        # Employer staff read the roster data they gave; the linked account (its own name and
        # login address) stays hidden from them.
        if is_coordinator(request.user):
            return super().get_exclude(request, obj)
        return ["worker"]

    @admin.display(description=_("werkende"), ordering="full_name")
    def worker_name(self, obj: Employment) -> str:
        # The roster's own name, never the account's (DESIGN "Who may see what").
        return obj.full_name


# --- Audit trail (django-pghistory): read-only, coordinators only --------------------------------


class AuditEventAdmin(CoordinatorOnlyAdmin):
    """Every tracked change: when, what, which row, and who (user and page) from the context."""

    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_id", "changed_by", "page"]
    list_filter = ["pgh_label"]
    ordering = ["-pgh_created_at"]
    list_select_related = ["pgh_context"]
    show_full_result_count = False

    @admin.display(description=_("door"))
    def changed_by(self, obj) -> str:
        metadata = obj.pgh_context.metadata if obj.pgh_context_id else {}
        return str(metadata.get("user", "—"))

    @admin.display(description=_("pagina"))
    def page(self, obj) -> str:
        metadata = obj.pgh_context.metadata if obj.pgh_context_id else {}
        return str(metadata.get("url", "—"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


for _event_model in ("EmployerEvent", "EmploymentEvent", "ApiKeyEvent"):
    admin.site.register(apps.get_model("accounts", _event_model), AuditEventAdmin)


# --- API keys ------------------------------------------------------------------------------------


@admin.register(ApiKey)
class ApiKeyAdmin(ReauthenticationRequiredAdminMixin, EmployerScopedAdmin):
    """Coordinators manage every key; employer staff the keys of their own employer. The key
    text is shown once, right after creation; only its hash is stored. Making or changing a key
    asks for the password (or second factor) again."""

    employer_staff_can_add = True
    list_display = [
        "name",
        "prefix",
        "employer",
        "provider",
        "created_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    readonly_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        fields = ["name", "employer"]
        if is_coordinator(request.user):
            fields.append("provider")
        return fields + (self.readonly_fields if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            key, text = api_key_create(
                name=obj.name, employer=obj.employer, provider=obj.provider, by=request.user
            )
        except ApiKeyError as exc:
            raise ValidationError(exc.message) from exc
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if not k.startswith("_")})
        # Shown once by response_add, on the page that answers this POST. Never through the
        # messages framework: its cookie would carry the key to the next request, readable.
        request._new_api_key_text = text

    def response_add(self, request, obj, post_url_continue=None):
        text = getattr(request, "_new_api_key_text", None)
        if text is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "admin/accounts/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Je nieuwe sleutel"),
                "key": obj,
                "key_text": text,
            },
        )
        # Never stored by a browser or proxy (the admin adds never_cache too).
        patch_cache_control(response, no_store=True, no_cache=True, must_revalidate=True)
        return response

    @admin.action(description=_("Geselecteerde sleutels intrekken"))
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, _("Sleutels ingetrokken."))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (is_coordinator(request.user) or self._is_employer_staff(request)):
            return {}
        return actions
