"""Authentication backends: Django's and allauth's, with a cheaper look-up of the signed-in user.

Every signed-in request loads its user (django.contrib.auth.get_user calls the session's
backend.get_user). Django builds an ORM query for that each time, which cost more than running
it: ~0.5 ms of the ~5 ms of Python a booking request takes (py-spy, issue 5). Here it is one
prepared statement. The same statement reads whether the person is employer or provider staff,
which the two-factor rule (accounts/security.py) asks on every request: as fresh as the user row,
without a second round trip. Logging in, passwords and permissions are Django's and allauth's; allauth's
login by address looks at verified addresses only (Django's own finds `User.email`, which is always
the verified primary address).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection

from accounts.models import User
from leerportaal import prepared

_FIELDS = [field.attname for field in User._meta.concrete_fields]
# Built once from the model's own columns; no input ever goes into this text.
_USER_SQL = (
    f"SELECT {', '.join(f'u.{name}' for name in _FIELDS)},"  # noqa: S608
    "  EXISTS (SELECT 1 FROM accounts_employermembership m WHERE m.user_id = u.id)"
    "  OR EXISTS (SELECT 1 FROM leerrekening_providermembership p WHERE p.user_id = u.id)"
    " FROM accounts_user u WHERE u.id = %s"
)


def user_for_request(user_id) -> User | None:
    """The user with this id (as stored in a session), with `organisation_staff` (employer or
    provider staff) read alongside."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    with connection.cursor() as cursor:
        prepared.execute(cursor, _USER_SQL, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.from_db(connection.alias, _FIELDS, row[:-1])
    user.organisation_staff = row[-1]
    return user


class _UserForRequest:
    def get_user(self, user_id):
        user = user_for_request(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_UserForRequest, DjangoModelBackend):
    pass


class AuthenticationBackend(_UserForRequest, AllauthBackend):
    def _authenticate_by_email(self, email: str, password: str) -> User | None:
        """allauth's login by address, by a verified address only: an address someone added to
        an account and never verified opens nothing (accounts/addresses.py)."""
        from accounts.addresses import users_with_verified_email

        if not email:
            return None
        for user in users_with_verified_email(email):
            if self._check_password(user, password):
                return user
        return None
