"""django-allauth policy: no self-service sign-up (accounts come from employers and staff)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # A learning account starts when an employer or fund registers a person; people then set
        # their password through "wachtwoord vergeten".
        return False
