"""View decorators by role: anonymous visitors go to login, signed-in users without the role 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(test: Callable[[object], bool]):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_worker(user) -> bool:
    return user.is_worker


def is_ambassador(user) -> bool:
    return user.is_ambassador


def is_provider_staff(user) -> bool:
    return user.provider_memberships.exists()


def is_coordinator(user) -> bool:
    return user.is_coordinator


worker_required = role_required(is_worker)
ambassador_required = role_required(is_ambassador)
provider_staff_required = role_required(is_provider_staff)
coordinator_required = role_required(is_coordinator)
