"""Admin: only who is an ambassador where. Requests and conversations are never registered here:
employer staff must not see them, and coordinators see aggregates only (/beheer/gesprekken/).
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_scoping import CoordinatorOnlyAdmin
from ambassadeurs.models import Ambassadorship


@admin.register(Ambassadorship)
class AmbassadorshipAdmin(CoordinatorOnlyAdmin):
    list_display = ["ambassador", "employer", "sector", "created_at"]
    list_filter = ["sector"]
    search_fields = ["ambassador__email", "ambassador__full_name", "employer__name"]
    autocomplete_fields = ["ambassador", "employer"]
    list_select_related = ["ambassador", "employer", "sector"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Ending an ambassador's work for an employer is a normal change, not a data loss.
        return super().has_change_permission(request, obj)
