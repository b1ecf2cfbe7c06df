"""Who must use two-factor authentication, the middleware that holds them to it, and the
re-authentication asked before a change that could take an account over.

CPF and SkillsFuture lost money to account takeover. Roles that move or see others' money or
data (employer staff, provider staff, coordinators, anyone with admin access) must have a second
factor (an authenticator app, TOTP, or a passkey, WebAuthn) before they can do anything else;
workers and ambassadors may turn either on.

A stolen session must not become a permanent account: changing the e-mail address, the password
or two-step settings (allauth's own views, ACCOUNT_REAUTHENTICATION_REQUIRED and
MFA_REAUTHENTICATION_REQUIRED), making an API key or changing payout details asks for the
password (or a second factor) again, at most ACCOUNT_REAUTHENTICATION_TIMEOUT seconds before.
The project's own sensitive views use `reauthentication_required` below.
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required as _allauth_reauthentication
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import middleware as auth_middleware
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from leerportaal import prepared

# allauth's decorator: a request without a recent re-authentication goes to the password (or
# second factor) page; a POST is kept and carried out after it. GET only shows the page.
reauthentication_required = _allauth_reauthentication(allow_get=True, app="allauth.account")


class ReauthenticationRequiredAdminMixin:
    """Admin pages that add or change rows (API keys, payout details) ask for re-authentication
    before the change is saved; viewing lists stays free."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = reauthentication_required(super().changeform_view)
        return view(request, object_id, form_url, extra_context)


# Paths a person without the required second factor may still use: setting it up, logging out,
# and what every page needs.
ALLOWED_PREFIXES = ("/account/", "/uitloggen/", "/i18n/", "/static/", "/health/", "/inloggen/")


def mfa_required(user) -> bool:
    if not (user and user.is_authenticated and getattr(user, "pk", None)):
        return False
    if user.is_staff or user.is_coordinator:
        return True
    # Employer staff (they deposit and see rosters) and provider staff (they trigger payments and
    # make API keys). Asked on every request of every signed-in user, so fresh (a worker made
    # staff is held to it on their next page). The request's user is loaded with the answer
    # (accounts/backends.py); for another user object it is one query, in plain SQL: the ORM's
    # query building cost more than the query.
    organisation_staff = getattr(user, "organisation_staff", None)
    if organisation_staff is not None:
        return organisation_staff
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            "SELECT EXISTS (SELECT 1 FROM accounts_employermembership WHERE user_id = %s)"
            " OR EXISTS (SELECT 1 FROM leerrekening_providermembership WHERE user_id = %s)",
            [user.pk, user.pk],
        )
        return cursor.fetchone()[0]


class MfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if isinstance(user, SimpleLazyObject):
            # AuthenticationMiddleware hands on a lazy proxy of the user: every attribute read
            # through it runs Python-level proxy code, dozens of times per request (views,
            # services, templates). The check below loads the user on every request anyway, so
            # from here on the request carries the user itself (the object get_user cached).
            request.user = user = auth_middleware.get_user(request)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and mfa_required(user)
            and not is_mfa_enabled(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "mfa_required", "message": "Set up two-factor authentication first."},
                    status=403,
                )
            messages.warning(
                request,
                _(
                    "Voor jouw rol is inloggen in twee stappen verplicht. Stel eerst een "
                    "authenticator-app of een passkey in."
                ),
            )
            return redirect("mfa_index")
        return self.get_response(request)


# What a frozen account may still do: sign out, switch language, and say "dit was ik niet" of a
# booking (leerrekening's booking freeze) or of a change (accounts.takeover).
FROZEN_ALLOWED_PREFIXES = ("/uitloggen/", "/account/logout/", "/i18n/", "/account/dit-was-ik-niet/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class FrozenAccountMiddleware:
    """A frozen account (accounts/takeover.py) changes nothing: every write is refused, in the
    portal, the admin and the API alike. Reading stays possible, so the person sees what
    happened. The booking service refuses a frozen worker too (a second wall)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method not in SAFE_METHODS
            and user is not None
            and user.is_authenticated
            and getattr(user, "frozen_at", None) is not None
            and not request.path.startswith(FROZEN_ALLOWED_PREFIXES)
            and not request.path.endswith("/dit-was-ik-niet/")
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "account_frozen",
                        "message": "This account is frozen; a coordinator must unfreeze it.",
                    },
                    status=403,
                )
            return render(request, "accounts/account_frozen.html", status=403)
        return self.get_response(request)
