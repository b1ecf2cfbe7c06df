import pytest
from django.urls import reverse

from leerportaal.demo import DEMO_PASSWORD, email_for, seed_demo

pytestmark = pytest.mark.django_db

START_PAGES = {
    "werkende": "/mijn-leerrekening/",
    "ambassadeur": "/ambassadeur/",
    "opleider": "/opleider/",
    "werkgever": "/admin/",
    "beheer": "/admin/",
}


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
def test_each_demo_login_reaches_its_start_page(client, persona, start_page):
    seed_demo()
    response = client.post(
        reverse("login"),
        {"username": email_for(persona).upper(), "password": DEMO_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == start_page


def test_wrong_password_gets_the_same_message_as_an_unknown_address(client, alice):
    wrong_password = client.post(
        reverse("login"), {"username": "alice@example.nl", "password": "fout"}
    )
    unknown = client.post(reverse("login"), {"username": "niemand@example.nl", "password": "fout"})
    assert wrong_password.status_code == unknown.status_code == 200
    message = "Dit e-mailadres en wachtwoord horen niet bij elkaar"
    assert message in wrong_password.content.decode()
    assert message in unknown.content.decode()


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
    from tests.factories import UserFactory

    nobody = UserFactory(is_worker=False)
    client.force_login(nobody)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("no-role")
