from __future__ import annotations

from rest_framework.permissions import BasePermission

from leerportaal.api.authentication import OrganisationPrincipal


class IsWorker(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_worker", False))


class IsAmbassador(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_ambassador", False))


class IsEmployerKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, OrganisationPrincipal) and request.user.employer is not None


class IsProviderKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, OrganisationPrincipal) and request.user.provider is not None
