"""A provider's own way in (/opleider/): registering, the team, the bank account, proof files.

Thin: forms check, leerrekening.providers.services write, .selectors read.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import provider_staff_required
from accounts.security import reauthentication_required
from leerportaal import ratelimit
from leerportaal.client_address import client_address
from leerportaal.errors import DomainError, form_error, message_error
from leerrekening.models import ProviderQualityMark
from leerrekening.providers import forms, selectors, services, validation


def _membership(request):
    """The signed-in user's membership of the provider asked for (`opleider`), else their first."""
    memberships = selectors.memberships_of(user=request.user).order_by("provider__name")
    wanted = request.POST.get("opleider") or request.GET.get("opleider")
    if wanted:
        return get_object_or_404(memberships, provider_id=wanted if wanted.isdigit() else 0)
    membership = memberships.first()
    if membership is None:
        raise Http404
    return membership


def _register_refused(request) -> tuple[str, int] | None:
    """Why this POST is refused before it is read: too many tries from this address (KvK numbers
    must not be probed in bulk) or more bytes than the proof files may have together."""
    if ratelimit.hit(
        scope="provider-register",
        key=client_address(request),
        limit=settings.PROVIDER_REGISTRATIONS_PER_HOUR,
        period=3600,
    ):
        message = _(
            "Er zijn vanaf deze plek al veel aanmeldingen geprobeerd. Probeer het over een uur "
            "opnieuw."
        )
        return message, 429
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > len(ProviderQualityMark.Mark) * validation.MAX_PROOF_BYTES + 1024 * 1024:
        return str(validation.ProofTooLarge.default_message), 413
    return None


@never_cache
def provider_register(request):
    signed_in = request.user.is_authenticated
    if request.method == "POST" and (refusal := _register_refused(request)):
        message, status = refusal
        account_form = None if signed_in else forms.NewAccountForm(prefix="account")
        return render(
            request,
            "leerrekening/provider_register.html",
            {"form": forms.RegistrationForm(), "account_form": account_form, "refusal": message},
            status=status,
        )
    form = forms.RegistrationForm(request.POST or None, request.FILES or None)
    account_form = (
        None if signed_in else forms.NewAccountForm(request.POST or None, prefix="account")
    )
    if request.method == "POST" and form.is_valid() and (signed_in or account_form.is_valid()):
        try:
            with transaction.atomic():
                if signed_in:
                    user = request.user
                else:
                    user = services.account_create(
                        email=account_form.cleaned_data["email"],
                        full_name=account_form.cleaned_data["full_name"],
                        password=account_form.cleaned_data["password"],
                        verified=False,
                    )
                provider = services.provider_register(user=user, data=form.registration())
        except services.AccountExists:
            # Said nowhere on the page (no one learns whether an address has an account): the
            # address's owner is told by mail to log in first; nothing is registered.
            services.registration_mail_send(
                email=account_form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                account_exists=True,
            )
            return render(request, "leerrekening/provider_register_done.html")
        except DomainError as exc:
            form_error(form, exc)
        else:
            if signed_in:
                messages.success(
                    request,
                    _("%(name)s is aangemeld. We controleren de gegevens en laten het je weten.")
                    % {"name": provider.name},
                )
                return redirect("leerrekening:provider-start")
            services.registration_mail_send(
                email=user.email, name=provider.name, account_exists=False
            )
            return render(request, "leerrekening/provider_register_done.html")
    return render(
        request,
        "leerrekening/provider_register.html",
        {"form": form, "account_form": account_form},
    )


@login_required
@never_cache
def provider_proof(request, pk):
    """A proof file, only to coordinators and the provider's own staff (404 for anyone else), as a
    download that the browser never renders."""
    mark = get_object_or_404(selectors.proofs_visible_to(user=request.user), pk=pk)
    response = FileResponse(
        mark.proof.open("rb"),
        as_attachment=True,
        filename=f"bewijs-{mark.mark}-{mark.provider.kvk_number}.{mark.proof.name.rsplit('.', 1)[-1]}",
        content_type=mark.proof_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@provider_staff_required
@never_cache
def provider_team(request):
    membership = _membership(request)
    provider = membership.provider
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                provider=provider,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except DomainError as exc:
            message_error(request, exc)
            return redirect(f"{request.path}?opleider={provider.pk}")
        else:
            messages.success(
                request,
                _("We hebben een uitnodiging gestuurd naar %(email)s. De link werkt 7 dagen.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect(f"{request.path}?opleider={provider.pk}")
    return render(
        request,
        "leerrekening/provider_team.html",
        {
            "provider": provider,
            "membership": membership,
            "team": selectors.team_of(provider=provider),
            "invitations": selectors.open_invitations_of(provider=provider),
            "form": form,
        },
    )


@provider_staff_required
@require_POST
def provider_team_remove(request, pk):
    membership = get_object_or_404(selectors.colleagues_of(user=request.user), pk=pk)
    try:
        services.membership_remove(membership=membership, by=request.user)
    except DomainError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request, _("%(name)s hoort niet meer bij het team.") % {"name": membership.user}
        )
    if not selectors.memberships_of(user=request.user).exists():
        return redirect("home")
    return redirect(f"{reverse('leerrekening:provider-team')}?opleider={membership.provider_id}")


@never_cache
def provider_invitation(request, token):
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationInvalid as exc:
        return render(
            request, "leerrekening/provider_invitation.html", {"error": exc.message}, status=404
        )
    signed_in = request.user.is_authenticated
    account_form = (
        None
        if signed_in
        else forms.NewAccountForm(
            request.POST or None, prefix="account", initial={"email": invitation.email}
        )
    )
    if account_form is not None:
        account_form.fields["email"].disabled = True
        account_form.fields["email"].initial = invitation.email
    if request.method == "POST" and (signed_in or account_form.is_valid()):
        try:
            services.invitation_accept(
                token=token,
                user=request.user if signed_in else None,
                full_name="" if signed_in else account_form.cleaned_data["full_name"],
                password="" if signed_in else account_form.cleaned_data["password"],
            )
        except DomainError as exc:
            if account_form is None:
                message_error(request, exc)
                return redirect("leerrekening:provider-start")
            form_error(account_form, exc)
        else:
            messages.success(
                request, _("Welkom bij %(name)s.") % {"name": invitation.provider.name}
            )
            if signed_in:
                return redirect("leerrekening:provider-start")
            messages.info(request, _("Log in met je e-mailadres en het wachtwoord dat je koos."))
            return redirect("account_login")
    return render(
        request,
        "leerrekening/provider_invitation.html",
        {"invitation": invitation, "account_form": account_form},
    )


@provider_staff_required
@never_cache
@reauthentication_required
def provider_details(request):
    """The provider's details; a manager changes the IBAN here (after the password again)."""
    membership = _membership(request)
    provider = membership.provider
    form = forms.IbanForm(request.POST or None) if membership.is_manager else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.provider_iban_change(
                provider=provider, iban=form.cleaned_data["iban"], by=request.user
            )
        except DomainError as exc:
            form_error(form, exc, "iban")
        else:
            messages.success(
                request,
                _(
                    "Het IBAN is gewijzigd. Alle beheerders krijgen een e-mail. De komende "
                    "%(days)s dagen betalen we niets uit naar het nieuwe nummer."
                )
                % {"days": settings.PROVIDER_IBAN_COOLING_OFF_DAYS},
            )
            return redirect(f"{request.path}?opleider={provider.pk}")
    return render(
        request,
        "leerrekening/provider_details.html",
        {
            "provider": provider,
            "membership": membership,
            "iban": selectors.iban_masked(provider.iban),
            "marks": provider.quality_marks.all(),
            "payouts_allowed": selectors.payouts_allowed(provider),
            "form": form,
        },
    )
