"""The admin's start page: the model list, with above it what the user's organisation needs to
see first (leerrekening.selectors_dashboard). Coordinators get ledger health and what waits for
them; a funder's staff get their prepaid balance, deposits, running batches, the next scheme run
and aggregate uptake. Installed in leerportaal/urls.py by wrapping `admin.site.index`, so the
site object and its registrations stay as they are.
"""

from __future__ import annotations

import functools

from accounts.admin_scoping import is_coordinator
from leerrekening.selectors_dashboard import coordinator_dashboard, funder_dashboard_for


def dashboard_context(request) -> dict:
    user = request.user
    if is_coordinator(user):
        return {"coordinator_dashboard": coordinator_dashboard()}
    dashboard = funder_dashboard_for(user)
    return {"funder_dashboard": dashboard} if dashboard is not None else {}


def with_dashboard(index):
    """Wrap AdminSite.index (already behind the admin's login check) to add the dashboard."""

    @functools.wraps(index)
    def wrapped(request, extra_context=None):
        return index(request, extra_context={**dashboard_context(request), **(extra_context or {})})

    return wrapped
