"""Pages about a person's organisation access (a provider's own API keys) and the
"dit was ik niet" link of a change notice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.decorators import provider_staff_required
from accounts.models import ApiKey
from accounts.security import reauthentication_required
from accounts.takeover import account_freeze as account_freeze_service
from accounts.takeover import freeze_token_user


def _providers_of(user):
    from leerrekening.models import Provider

    return Provider.objects.filter(memberships__user=user).order_by("name")


@provider_staff_required
@never_cache  # Cache-Control: no-store: the page that shows a new key is never kept
@reauthentication_required
def provider_api_keys(request):
    """Provider staff make and revoke their organisation's keys; the key is shown once, in the
    answer to the POST that made it (never through the messages cookie). Making one asks for the
    password again (a stolen session must not get a lasting key)."""
    providers = list(_providers_of(request.user))
    new_key = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        provider = next((p for p in providers if str(p.pk) == request.POST.get("provider")), None)
        if not name or provider is None:
            messages.error(request, _("Geef de sleutel een naam en kies de opleider."))
        else:
            _key, new_key = api_key_create(name=name, provider=provider, by=request.user)
    keys = (
        ApiKey.objects.filter(provider__in=providers)
        .select_related("provider")
        .order_by("-created_at")
    )
    return render(
        request,
        "accounts/provider_api_keys.html",
        {"providers": providers, "keys": keys, "new_key": new_key},
    )


@provider_staff_required
@require_POST
def provider_api_key_revoke(request, key_id: int):
    key = get_object_or_404(
        ApiKey.objects.filter(provider__in=_providers_of(request.user)), pk=key_id
    )
    api_key_revoke(key=key)
    messages.success(request, _("De sleutel %(name)s is ingetrokken.") % {"name": key.name})
    return redirect("accounts:provider-api-keys")


@never_cache
@require_http_methods(["GET", "POST"])
def account_freeze(request, token: str):
    """The "dit was ik niet" link: works without logging in. GET asks (mail scanners open links),
    POST freezes the account, ends every session and tells the coordinators."""
    user = freeze_token_user(token=token)
    if user is None:
        return render(request, "accounts/account_freeze.html", {"invalid": True}, status=400)
    if request.method == "POST":
        account_freeze_service(user=user)
        if request.user.is_authenticated and request.user.pk == user.pk:
            logout(request)  # this browser too; the others end at their next request
        return render(request, "accounts/account_freeze.html", {"done": True})
    return render(request, "accounts/account_freeze.html", {})
