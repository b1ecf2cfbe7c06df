from __future__ import annotations

import math
import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.selectors import user_start_url
from leerportaal import health as health_checks


@login_required
def home(request):
    """Send each person to the start page of their (first) role."""
    return redirect(user_start_url(user=request.user))


@login_required
def no_role(request):
    return render(request, "no_role.html")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon."""
    return redirect(static("icons/favicon.ico"), permanent=True)


@require_GET
@never_cache
def health(request):
    """Database, Redis and a live Celery worker: 200 when all are up, 503 naming what is down."""
    results = health_checks.run_all()
    healthy = all(result.ok for result in results)
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
        "down": [r.name for r in results if not r.ok],
    }
    return JsonResponse(body, status=200 if healthy else 503)


# A database that is down or just restarted: the request is refused with 503 and a hint to retry,
# not a 500. A booking that was in flight then either committed or rolled back as a whole; the
# form's request token makes resubmitting it safe (leerrekening.bookings.services).
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 5


def _error_response(
    request, *, status: int, template: str, code: str, message: str, retry_after: int | None = None
) -> HttpResponse:
    """An error page in the portal's look (Dutch or English), or the API's JSON error shape.

    Rendered without the request's context processors: they may need the database (the signed-in
    user) that has just failed. Never cached: the next try must reach the server.
    """
    if request.path.startswith("/api/"):
        body = {"code": code, "message": message}
        if retry_after is not None:
            body["retry_after"] = retry_after
        response = JsonResponse(body, status=status)
    else:
        context = {
            "retry_after": retry_after,
            "retry_after_minutes": math.ceil(retry_after / 60) if retry_after else None,
        }
        response = HttpResponse(render_to_string(template, context), status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500. Django calls it while handling the exception: a database outage is a 503."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return service_unavailable(request)
    return _error_response(
        request,
        status=500,
        template="500.html",
        code="server_error",
        message="Something went wrong on our side. Nothing was changed by a request that failed.",
    )


def service_unavailable(request, retry_after: int = DATABASE_RETRY_AFTER_SECONDS):
    return _error_response(
        request,
        status=503,
        template="503.html",
        code="service_unavailable",
        message="Leerportaal is briefly unavailable. Try again shortly.",
        retry_after=retry_after,
    )


def too_many_requests(request, exception=None, retry_after: int | None = None):
    """handler429 (allauth's rate limits call it too): the portal's page, or the API's JSON."""
    return _error_response(
        request,
        status=429,
        template="429.html",
        code="throttled",
        message="Too many requests. Try again later.",
        retry_after=retry_after,
    )
