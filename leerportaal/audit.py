"""The audit trail's request context (django-pghistory), only where an audited write can happen.

pghistory's middleware puts `SELECT set_config(...)` before every write statement of a POST, so
that an audited change (employers, employments, API keys, providers, courses, deposit schemes) is
recorded with who made it from which page. The worker's own pages (their learning account,
bookings, the catalogue) never write those models, and a booking runs a dozen statements; there
the context is left out. Everywhere else (admin, employer, provider and coordinator pages, the
API) it is exactly as before. Were a worker page ever to write an audited model, the change would
still be recorded by the database trigger, only without the page and user.
"""

from __future__ import annotations

from pghistory.middleware import HistoryMiddleware

# Pages of the worker's own account and the catalogue: leerrekening/urls.py.
NO_AUDITED_WRITES_PREFIXES = ("/mijn-leerrekening/", "/opleidingen/")


class AuditContextMiddleware(HistoryMiddleware):
    def __call__(self, request):
        if request.path.startswith(NO_AUDITED_WRITES_PREFIXES):
            return self.get_response(request)
        return super().__call__(request)
