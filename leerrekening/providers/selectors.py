"""Reads of a provider's own way in: whose team, who may see a proof file, may payouts go out."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from leerrekening.models import Provider, ProviderMembership, ProviderQualityMark

Role = ProviderMembership.Role


def memberships_of(*, user: User) -> QuerySet[ProviderMembership]:
    return ProviderMembership.objects.filter(user=user).select_related("provider")


def is_manager(*, user: User, provider: Provider) -> bool:
    return ProviderMembership.objects.filter(
        user=user, provider=provider, role=Role.MANAGER
    ).exists()


def team_of(*, provider: Provider) -> QuerySet[ProviderMembership]:
    return provider.memberships.select_related("user").order_by("user__full_name", "pk")


def colleagues_of(*, user: User) -> QuerySet[ProviderMembership]:
    """Every membership of the providers `user` works for (their own included)."""
    providers = ProviderMembership.objects.filter(user=user).values("provider_id")
    return ProviderMembership.objects.filter(provider_id__in=providers).select_related("user")


def manager_emails(*, provider: Provider) -> QuerySet:
    return provider.memberships.filter(role=Role.MANAGER).values_list("user__email", flat=True)


def open_invitations_of(*, provider: Provider):
    return provider.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


def proofs_visible_to(*, user: User) -> QuerySet[ProviderQualityMark]:
    """Coordinators see every provider's proof; provider staff only their own providers'; anyone
    else nothing."""
    marks = ProviderQualityMark.objects.select_related("provider")
    if not user.is_authenticated:
        return marks.none()
    if user.is_coordinator:
        return marks
    return marks.filter(provider__memberships__user=user)


def iban_masked(iban: str) -> str:
    """'NL91ABNA0417164300' -> 'NL91 ABNA … 4300': enough to recognise, not to copy."""
    if not iban:
        return ""
    return f"{iban[:4]} {iban[4:8]} … {iban[-4:]}"


def payouts_allowed(provider: Provider, *, on: datetime.date | None = None) -> bool:
    """May a payout to this provider's IBAN go out on `on` (default today)? Not without an IBAN,
    and not while a changed IBAN is in its cooling-off period (the pause ends before that day)."""
    on = on or timezone.localdate()
    if not provider.iban:
        return False
    if provider.payouts_paused_until is None:
        return True
    return timezone.localdate(provider.payouts_paused_until) < on
