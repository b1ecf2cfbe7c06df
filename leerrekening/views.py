from __future__ import annotations

from django.shortcuts import render

from accounts.decorators import provider_staff_required, worker_required
from leerrekening import selectors


@worker_required
def dashboard(request):
    return render(
        request,
        "leerrekening/dashboard.html",
        {"employments": selectors.employments_of(worker=request.user)},
    )


@provider_staff_required
def provider_start(request):
    return render(
        request,
        "leerrekening/provider_start.html",
        {
            "providers": selectors.providers_of(user=request.user),
            "courses": selectors.courses_of_providers(user=request.user),
        },
    )
