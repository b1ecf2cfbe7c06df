from __future__ import annotations

from django.shortcuts import render

from accounts.decorators import ambassador_required


@ambassador_required
def start(request):
    return render(request, "ambassadeurs/start.html")
