"""Login addresses: only a verified address counts (issue 16).

A stolen session used to add an address and ask a password reset for it, so the account and
every booking code went to the attacker. Now:

- `User.email` is always the person's verified primary address. It is the address an employer or
  coordinator registered (where the invitation goes: `user_created_address_verified` records it as
  verified) or one the person changed to by following the link sent to it (allauth's
  ACCOUNT_CHANGE_EMAIL: a new address replaces the old only once verified). Notices, booking
  codes and conversation e-mails go to `User.email`, so never to an unverified address.
- Logging in and password resets find a person only by a verified address
  (`users_with_verified_email`); an unverified one is treated exactly as an unknown address.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.models import User


def users_with_verified_email(email: str, *, is_active: bool | None = None) -> list[User]:
    """The people whose verified address is `email` (case-insensitive): at most one."""
    users = User.objects.filter(
        emailaddress__email__iexact=email.strip(), emailaddress__verified=True
    ).distinct()
    if is_active is not None:
        users = users.filter(is_active=is_active)
    return list(users)


def user_created_address_verified(sender, instance: User, created: bool, raw=False, **kwargs):
    """post_save of User: a new person's registered address is their verified primary address.

    Who registers a person (an employer's roster, a coordinator) gives the address the invitation
    goes to; the person proves it by setting their password through the link sent there.
    """
    if not created or raw or not instance.email:
        return
    EmailAddress.objects.get_or_create(
        user=instance, email=instance.email.lower(), defaults={"primary": True, "verified": True}
    )
