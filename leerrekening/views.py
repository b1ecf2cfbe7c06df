from __future__ import annotations

from django.contrib.auth.decorators import login_required, user_passes_test
from django.shortcuts import render

from leerrekening import selectors


def _is_worker(user) -> bool:
    return user.is_authenticated and user.is_worker


def _is_provider_staff(user) -> bool:
    return user.is_authenticated and user.provider_memberships.exists()


@login_required
@user_passes_test(_is_worker)
def dashboard(request):
    return render(
        request,
        "leerrekening/dashboard.html",
        {"employments": selectors.employments_of(worker=request.user)},
    )


@login_required
@user_passes_test(_is_provider_staff)
def provider_start(request):
    return render(
        request,
        "leerrekening/provider_start.html",
        {
            "providers": selectors.providers_of(user=request.user),
            "courses": selectors.courses_of_providers(user=request.user),
        },
    )
