"""Pages about a person's organisation access: a provider's own API keys."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.decorators import provider_staff_required
from accounts.models import ApiKey


def _providers_of(user):
    from leerrekening.models import Provider

    return Provider.objects.filter(memberships__user=user).order_by("name")


@provider_staff_required
@never_cache  # Cache-Control: no-store: the page that shows a new key is never kept
def provider_api_keys(request):
    """Provider staff make and revoke their organisation's keys; the key is shown once, in the
    answer to the POST that made it (never through the messages cookie)."""
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
