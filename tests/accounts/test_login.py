"""Login by e-mail through allauth: Dutch first, rate limited, two-factor for the roles that need it."""

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from accounts.demo import DEMO_TOTP_SECRET
from accounts.models import User
from leerportaal.demo import DEMO_PASSWORD, email_for, seed_demo
from tests import factories

pytestmark = pytest.mark.django_db

START_PAGES = {
    "werkende": "/mijn-leerrekening/",
    "ambassadeur": "/ambassadeur/",
    "opleider": "/opleider/",
    "werkgever": "/admin/",
    "beheer": "/admin/",
}
NEEDS_SECOND_FACTOR = {"werkgever", "opleider", "beheer"}


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def log_in(client, email, password, **extra):
    return client.post(reverse("login"), {"login": email, "password": password, **extra})


def test_login_page_renders_in_dutch(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nl">' in body
    assert "E-mailadres" in body
    assert "Wachtwoord" in body


def test_login_page_switches_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/inloggen/"})
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in body
    assert "Email address" in body
    assert "Log in" in body


@pytest.mark.parametrize(("persona", "start_page"), START_PAGES.items())
def test_each_demo_login_reaches_its_start_page(client, settings, persona, start_page):
    settings.DEBUG = True
    seed_demo()
    response = log_in(client, email_for(persona).upper(), DEMO_PASSWORD)
    if persona in NEEDS_SECOND_FACTOR:
        assert response.status_code == 302
        assert response.url == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
    assert response.status_code == 302
    final = client.get(response.url, follow=True)
    assert final.status_code == 200
    assert final.redirect_chain[-1][0] == start_page


def test_wrong_password_gets_the_same_message_as_an_unknown_address(client, alice):
    wrong_password = log_in(client, "alice@example.nl", "fout")
    unknown = log_in(client, "niemand@example.nl", "fout")
    assert wrong_password.status_code == unknown.status_code == 200
    assert wrong_password.context["form"].errors == unknown.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_throttled_with_a_clear_message(client, alice):
    for _ in range(5):
        log_in(client, "alice@example.nl", "fout")
    blocked = log_in(client, "alice@example.nl", "Een-lang-testwachtwoord-2026")
    assert "_auth_user_id" not in client.session
    assert blocked.status_code == 200
    assert "Te veel inlogpogingen" in blocked.content.decode()


def test_throttling_recovers_after_the_window(client, alice, time_machine):
    time_machine.move_to("2026-11-25 10:00:00+01:00", tick=True)
    for _ in range(5):
        log_in(client, "alice@example.nl", "fout")
    time_machine.shift(6 * 60)
    response = log_in(client, "alice@example.nl", "Een-lang-testwachtwoord-2026")
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(alice.pk)


def test_employer_staff_without_two_factor_must_set_it_up_first(client, acme):
    factories.EmployerMembershipFactory(employer=acme, user__email="nieuw-hr@example.nl")
    log_in(client, "nieuw-hr@example.nl", "Een-lang-testwachtwoord-2026")
    for url in ["/admin/", "/mijn-leerrekening/", "/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == reverse("mfa_index")
    # Setting up (or changing) a second factor asks for the password once more.
    assert client.get(reverse("mfa_activate_totp")).url.startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": "Een-lang-testwachtwoord-2026"})
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    assert "secret" in setup.context or "form" in setup.context


def test_a_coordinator_without_two_factor_gets_no_api_either(client, db):
    client.force_login(factories.UserFactory(is_worker=True, is_staff=True, is_coordinator=True))
    response = client.get("/api/v1/me/account/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_staff_with_two_factor_pass_the_code_step_and_a_wrong_code_is_refused(client, hanna):
    # hanna has the test authenticator secret (tests/conftest.py), the same as the demo's.
    response = log_in(client, "hanna@example.nl", "Een-lang-testwachtwoord-2026")
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
    assert right.status_code == 302
    assert client.session.get("_auth_user_id") == str(hanna.pk)
    assert client.get("/admin/").status_code == 200


def test_workers_are_not_forced_to_use_two_factor_but_may(client, alice):
    log_in(client, "alice@example.nl", "Een-lang-testwachtwoord-2026")
    assert client.get(reverse("leerrekening:dashboard")).status_code == 200
    client.post(reverse("account_reauthenticate"), {"password": "Een-lang-testwachtwoord-2026"})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_the_admin_has_no_login_of_its_own(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_there_is_no_self_service_sign_up(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nieuw@example.nl",
            "password1": "Lang-genoeg-2026!",
            "password2": "Lang-genoeg-2026!",
        },
    )
    assert not User.objects.filter(email="nieuw@example.nl").exists()
    assert response.status_code == 200


def test_logout_is_a_post_and_ends_the_session(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("leerrekening:dashboard")).status_code == 302


def test_home_sends_anonymous_visitors_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_worker_cannot_open_the_provider_or_ambassador_start_page(client, alice):
    client.force_login(alice)
    assert client.get(reverse("leerrekening:provider-start")).status_code == 403
    assert client.get(reverse("ambassadeurs:start")).status_code == 403


def test_a_user_without_roles_is_told_so(client, db):
    nobody = factories.UserFactory(is_worker=False)
    client.force_login(nobody)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("no-role")


def test_a_signed_in_worker_made_employer_staff_must_set_up_two_factor_on_the_next_page(
    client, alice, acme
):
    client.force_login(alice)
    assert client.get(reverse("leerrekening:dashboard")).status_code == 200
    factories.EmployerMembershipFactory(employer=acme, user=alice)
    response = client.get(reverse("leerrekening:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_index")


def test_a_signed_in_request_carries_the_user_itself_and_a_visitor_stays_anonymous(client, alice):
    anonymous = client.get(reverse("login")).wsgi_request.user
    assert anonymous.is_authenticated is False
    client.force_login(alice)
    response = client.get(reverse("leerrekening:dashboard"))
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is User  # no lazy proxy left for views, services and templates
    assert user.pk == alice.pk
