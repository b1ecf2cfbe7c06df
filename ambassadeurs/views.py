from __future__ import annotations

from django.contrib.auth.decorators import login_required, user_passes_test
from django.shortcuts import render


def _is_ambassador(user) -> bool:
    return user.is_authenticated and user.is_ambassador


@login_required
@user_passes_test(_is_ambassador)
def start(request):
    return render(request, "ambassadeurs/start.html")
