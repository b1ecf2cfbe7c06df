from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
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
