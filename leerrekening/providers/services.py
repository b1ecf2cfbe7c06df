"""Writes of a provider's own way in: registering, inviting and removing colleagues, the IBAN.

Every refusal is a DomainError (validation.py and below); every change of a provider, a
membership or a quality mark is in the audit trail (pghistory on those models, with the page and
user from leerportaal.audit's middleware).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from leerportaal import mail
from leerportaal.errors import DomainError
from leerrekening.models import (
    Provider,
    ProviderInvitation,
    ProviderMembership,
    ProviderQualityMark,
)
from leerrekening.providers import selectors, validation

Mark = ProviderQualityMark.Mark
Role = ProviderMembership.Role


class ProviderTeamError(DomainError):
    code = "provider_team_error"
    status = 403
    default_message = _("Alleen een beheerder van de opleider mag dit doen.")


class LastManager(ProviderTeamError):
    code = "provider_last_manager"
    status = 409
    default_message = _(
        "Je kunt de laatste beheerder niet verwijderen. Maak eerst iemand anders beheerder."
    )


class InvitationInvalid(ProviderTeamError):
    code = "provider_invitation_invalid"
    status = 404
    default_message = _(
        "Deze uitnodiging is niet geldig of verlopen. Vraag om een nieuwe uitnodiging."
    )


class AlreadyMember(ProviderTeamError):
    code = "provider_already_member"
    status = 409
    default_message = _("Dit account hoort al bij deze opleider.")


class AccountExists(ProviderTeamError):
    code = "provider_account_exists"
    status = 409
    default_message = _("Log eerst in, of kies een ander e-mailadres.")


class TermsNotAccepted(validation.ProviderInputError):
    code = "provider_terms_not_accepted"
    default_message = _("Je moet akkoord gaan met de voorwaarden.")


class NoQualityMark(validation.ProviderInputError):
    code = "provider_no_quality_mark"
    default_message = _("Kies minstens één keurmerk en stuur het bewijs mee.")


@dataclass
class QualityMarkInput:
    mark: str
    proof: UploadedFile
    brin: str = ""


@dataclass
class Registration:
    name: str
    kvk_number: str
    street: str
    house_number: str
    postcode: str
    city: str
    contact_name: str
    contact_phone: str
    iban: str
    terms_accepted: bool
    marks: list[QualityMarkInput] = field(default_factory=list)
    website: str = ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_create(*, email: str, full_name: str, password: str, verified: bool) -> User:
    """A new account of provider staff (not a worker). Raises AccountExists: the caller words it
    so that it says no more than "log in first"."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountExists
    user = User.objects.create_user(email, password, full_name=full_name, is_worker=False)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"primary": True, "verified": verified}
    )
    return user


def registration_mail_send(*, email: str, name: str, account_exists: bool) -> None:
    """After a registration with a new account: the next steps by mail. When the address already
    had an account, nothing was registered and its owner is told to log in first (the page says
    the same in both cases)."""
    context = {
        "name": name,
        "account_exists": account_exists,
        "login_url": settings.SITE_URL + reverse("account_login"),
    }
    transaction.on_commit(
        lambda: mail.mail_send("leerrekening/email/provider_registered", context, to=[email])
    )


def kvk_check_free(kvk_number: str) -> str:
    kvk = validation.kvk_clean(kvk_number)
    if Provider.objects.filter(kvk_number=kvk).exists():
        raise validation.KvkTaken
    return kvk


def _quality_mark_label(marks: list[QualityMarkInput]) -> str:
    # The old free-text field, still read by approval: the chosen marks by name.
    return ", ".join(str(Mark(item.mark).label) for item in marks)[:100]


@transaction.atomic
def provider_register(*, user: User, data: Registration) -> Provider:
    """Register a provider, pending until a coordinator approves it; `user` becomes its manager.
    Raises a ProviderInputError (bad KvK, postcode, phone, IBAN, BRIN or proof; KvK taken; terms)."""
    if not data.terms_accepted:
        raise TermsNotAccepted
    kvk = kvk_check_free(data.kvk_number)
    postcode = validation.postcode_clean(data.postcode)
    phone = validation.phone_clean(data.contact_phone)
    account = validation.iban_clean(data.iban)
    if not data.marks:
        raise NoQualityMark
    checked = []
    for item in data.marks:
        if item.mark not in Mark.values:  # the form offers only these
            raise validation.ProviderInputError
        brin = validation.brin_clean(item.brin) if item.mark == Mark.MBO_HBO else ""
        content_type, extension = validation.proof_content_type(item.proof)
        checked.append((item, brin, content_type, extension))
    now = timezone.now()
    try:
        with transaction.atomic():
            provider = Provider.objects.create(
                name=data.name.strip(),
                kvk_number=kvk,
                quality_mark=_quality_mark_label(data.marks),
                website=data.website,
                street=data.street.strip(),
                house_number=data.house_number.strip(),
                postcode=postcode,
                city=data.city.strip(),
                contact_name=data.contact_name.strip(),
                contact_phone=phone,
                iban=account.iban,
                bic=account.bic,
                terms_accepted_at=now,
            )
    except IntegrityError:  # registered at the same moment by someone else
        raise validation.KvkTaken from None
    for item, brin, content_type, extension in checked:
        mark = ProviderQualityMark(
            provider=provider,
            mark=item.mark,
            brin=brin,
            proof_name=(item.proof.name or "")[-200:],
            proof_content_type=content_type,
        )
        mark.proof.save(f"proof.{extension}", item.proof, save=False)
        mark.save()
    ProviderMembership.objects.create(user=user, provider=provider, role=Role.MANAGER)
    return provider


def _require_manager(provider: Provider, user: User) -> None:
    if not selectors.is_manager(user=user, provider=provider):
        raise ProviderTeamError


def invitation_create(
    *, provider: Provider, email: str, by: User, role: str = Role.STAFF
) -> tuple[ProviderInvitation, str]:
    """Invite a colleague by e-mail: a link valid for PROVIDER_INVITATION_DAYS, used once. Only
    the token's hash is stored; the link is in the mail only. Returns (invitation, token)."""
    _require_manager(provider, by)
    token = secrets.token_urlsafe(32)
    invitation = ProviderInvitation.objects.create(
        provider=provider,
        email=User.objects.normalize_email(email).strip(),
        role=Role(role),
        token_hash=token_hash(token),
        invited_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=settings.PROVIDER_INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("leerrekening:provider-invitation", args=[token])
    context = {
        "provider": provider,
        "inviter": by,
        "link": link,
        "expires_at": invitation.expires_at,
    }
    transaction.on_commit(
        lambda: mail.mail_send(
            "leerrekening/email/provider_invitation", context, to=[invitation.email]
        )
    )
    return invitation, token


def invitation_for_token(token: str) -> ProviderInvitation:
    """The open invitation of this token. Raises InvitationInvalid alike for a forged, used or
    expired link (they are told apart by nobody)."""
    invitation = (
        ProviderInvitation.objects.select_related("provider")
        .filter(token_hash=token_hash(token or ""), accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.expires_at <= timezone.now():
        raise InvitationInvalid
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None = None, full_name: str = "", password: str = ""
) -> ProviderMembership:
    """Accept once: the signed-in `user` joins, or a new account is made for the invited address
    (verified: the link reached that mailbox). Raises InvitationInvalid, AlreadyMember,
    AccountExists."""
    found = invitation_for_token(token)
    invitation = ProviderInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.accepted_at is not None:
        raise InvitationInvalid
    if user is None:
        user = account_create(
            email=invitation.email, full_name=full_name, password=password, verified=True
        )
    if ProviderMembership.objects.filter(user=user, provider=invitation.provider).exists():
        raise AlreadyMember
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return ProviderMembership.objects.create(
        user=user, provider=invitation.provider, role=invitation.role
    )


@transaction.atomic
def membership_remove(*, membership: ProviderMembership, by: User) -> None:
    """A manager removes a colleague (or themselves), never the provider's last manager."""
    provider = Provider.objects.select_for_update().get(pk=membership.provider_id)
    _require_manager(provider, by)
    membership = ProviderMembership.objects.select_for_update().get(pk=membership.pk)
    if (
        membership.is_manager
        and not provider.memberships.filter(role=Role.MANAGER).exclude(pk=membership.pk).exists()
    ):
        raise LastManager
    membership.delete()


@transaction.atomic
def provider_iban_change(*, provider: Provider, iban: str, by: User) -> Provider:
    """A manager changes the bank account (the view asked for re-authentication). Every manager
    is e-mailed, and no payout goes out for PROVIDER_IBAN_COOLING_OFF_DAYS: a stolen login that
    changes the account is noticed before money reaches it. Raises IbanInvalid, ProviderTeamError."""
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    _require_manager(provider, by)
    account = validation.iban_clean(iban)
    if account.iban == provider.iban:
        return provider
    now = timezone.now()
    old_iban = provider.iban
    provider.iban, provider.bic = account.iban, account.bic
    provider.iban_changed_at = now
    provider.payouts_paused_until = now + datetime.timedelta(
        days=settings.PROVIDER_IBAN_COOLING_OFF_DAYS
    )
    provider.save(update_fields=["iban", "bic", "iban_changed_at", "payouts_paused_until"])
    context = {
        "provider": provider,
        "changed_by": by,
        "old_iban": selectors.iban_masked(old_iban),
        "new_iban": selectors.iban_masked(provider.iban),
        "paused_until": provider.payouts_paused_until,
    }
    managers = list(selectors.manager_emails(provider=provider))
    transaction.on_commit(
        lambda: [
            mail.mail_send("leerrekening/email/provider_iban_changed", context, to=[address])
            for address in managers
        ]
    )
    return provider
