"""Demo two-factor: the demo employer, provider and coordinator logins get a fixed authenticator
secret.

Their roles require two-factor authentication; a fixed, published secret lets anyone trying the
demo add it to an authenticator app, or print the current code with `manage.py demo_totp`.
Never used outside the demo (seed_demo refuses to run with DEBUG=False unless forced).
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

from accounts.models import User

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (published demo secret)
DEMO_MFA_LOGINS = [
    "werkgever@demo.leerportaal.nl",
    "opleider@demo.leerportaal.nl",
    "opleider-aanmelding@demo.leerportaal.nl",
    "beheer@demo.leerportaal.nl",
]


def seed_demo_mfa() -> int:
    """Give the demo staff logins the demo TOTP secret (once). Returns how many were set up."""
    count = 0
    for user in User.objects.filter(email__in=DEMO_MFA_LOGINS):
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
            count += 1
    return count


def current_demo_code() -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
