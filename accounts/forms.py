from allauth.account.forms import ResetPasswordForm
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    """Login by e-mail address; the same message for a wrong address or password (no enumeration)."""

    username = forms.EmailField(
        label=_("E-mailadres"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _(
            "Dit e-mailadres en wachtwoord horen niet bij elkaar. Controleer ze en probeer het opnieuw."
        ),
        "inactive": _("Dit account is uitgeschakeld. Neem contact op met beheer."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class VerifiedResetPasswordForm(ResetPasswordForm):
    """Password reset, sent only to a verified address. Any other address (unknown, or added to
    an account but never verified) gets the same answer and the mail for an unknown address:
    the reset link of an account never reaches an address its owner did not verify."""

    def clean_email(self) -> str:
        from accounts.addresses import users_with_verified_email

        email = super().clean_email()
        self.users = users_with_verified_email(email, is_active=True)
        return email
