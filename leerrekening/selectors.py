"""Reads for the learning account and the catalogue."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Employment, User
from leerrekening.models import Course, Provider


def employments_of(*, worker: User) -> QuerySet[Employment]:
    return (
        Employment.objects.filter(worker=worker).select_related("employer").order_by("-start_date")
    )


def providers_of(*, user: User) -> QuerySet[Provider]:
    """The providers this user works for (provider staff)."""
    return Provider.objects.filter(memberships__user=user)


def courses_of_providers(*, user: User) -> QuerySet[Course]:
    return Course.objects.filter(provider__memberships__user=user).select_related("provider")
