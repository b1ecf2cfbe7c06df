"""Reads about people and their roles."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Role, User


def user_roles(*, user: User) -> list[Role]:
    """The roles a user holds, in the order their start pages are offered."""
    if not user.is_authenticated:
        return []
    roles: list[Role] = []
    if user.is_coordinator:
        roles.append(Role.COORDINATOR)
    if user.employer_memberships.exists():
        roles.append(Role.EMPLOYER_STAFF)
    if user.provider_memberships.exists():
        roles.append(Role.PROVIDER_STAFF)
    if user.is_ambassador:
        roles.append(Role.AMBASSADOR)
    if user.is_worker:
        roles.append(Role.WORKER)
    return roles


START_PAGES = {
    Role.WORKER: "leerrekening:dashboard",
    Role.AMBASSADOR: "ambassadeurs:start",
    Role.PROVIDER_STAFF: "leerrekening:provider-start",
    Role.EMPLOYER_STAFF: "admin:index",
    Role.COORDINATOR: "admin:index",
}


def start_page_url(*, role: Role) -> str:
    return reverse(START_PAGES[role])


def user_start_url(*, user: User) -> str:
    """Where the home page sends a user: the start page of their first role."""
    roles = user_roles(user=user)
    if not roles:
        return reverse("no-role")
    return start_page_url(role=roles[0])
