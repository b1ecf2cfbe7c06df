"""Every mail speaks as Leerportaal (issue 21): "Leerportaal: …" in the subject, never the host;
a plain-text part and an HTML part in the portal's layout with the configured SITE_URL; Dutch by
default, English when asked. Each mail is triggered the way the product sends it."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from ambassadeurs import tasks as ambassadeur_tasks
from leerrekening.services import notifications
from tests import factories
from tests.factories import TEST_PASSWORD
from tests.support.auth import reauthenticate

pytestmark = pytest.mark.django_db

SITE_URL = "https://leerportaal.example"
NEW_ADDRESS = "alice.nieuw@example.org"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def assert_in_the_product_voice(message) -> tuple[str, str]:
    """The common promises; returns (text, html) for the mail's own assertions."""
    assert message.subject.startswith("Leerportaal: "), message.subject
    for host in ("[", "127.0.0.1", "8000", "testserver", "example.com", "localhost"):
        assert host not in message.subject, message.subject
    assert "Hallo van" not in message.body
    assert "Hello from" not in message.body
    assert "example.com" not in message.body
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(html) == 1
    assert "Leerportaal" in html[0]
    assert f'href="{SITE_URL}"' in html[0]
    assert SITE_URL in message.body  # the text part's footer
    assert "Hallo van" not in html[0]
    return message.body, html[0]


def only(outbox, to):
    found = [m for m in outbox if m.to == [to]]
    assert len(found) == 1, [(m.to, m.subject) for m in outbox]
    return found[0]


# --- allauth's mails ----------------------------------------------------------------------------


def test_the_password_reset_mail_is_ours_in_dutch_with_a_working_link(client, alice):
    response = client.post(reverse("account_reset_password"), {"email": alice.email})
    assert response.status_code == 302
    message = only(mail.outbox, alice.email)
    text, html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Kies een nieuw wachtwoord"
    assert text.startswith("Hoi Alice,")
    assert "Kies dan met deze link een nieuw wachtwoord" in text
    assert "Groet, Leerportaal" in text
    link = next(word for word in text.split() if "/account/password/reset/key/" in word)
    assert link in html  # clickable in the HTML part too
    # The link works: it leads to the form for a new password.
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert b"password1" in response.content


def test_the_password_reset_mail_is_in_english_for_an_english_browser(client, alice):
    client.post(
        reverse("account_reset_password"), {"email": alice.email}, HTTP_ACCEPT_LANGUAGE="en"
    )
    message = only(mail.outbox, alice.email)
    text, html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Choose a new password"
    assert text.startswith("Hi Alice,")
    assert "Regards, Leerportaal" in text
    assert "Kies" not in text
    assert 'lang="en"' in html


def test_an_added_address_gets_our_confirmation_and_the_old_one_our_notice(client, alice):
    client.force_login(alice)
    reauthenticate(client)
    mail.outbox.clear()
    client.post(reverse("account_email"), {"email": NEW_ADDRESS, "action_add": ""})

    confirmation = only(mail.outbox, NEW_ADDRESS)
    text, html = assert_in_the_product_voice(confirmation)
    assert confirmation.subject == "Leerportaal: Bevestig je e-mailadres"
    assert "Bevestig het met deze link" in text
    assert "/account/confirm-email/" in text
    assert "/account/confirm-email/" in html

    notice = only(mail.outbox, alice.email)
    text, html = assert_in_the_product_voice(notice)
    assert notice.subject == "Leerportaal: Nieuw e-mailadres toegevoegd"
    assert NEW_ADDRESS in text
    assert "Was jij dit niet?" in text
    assert "/account/dit-was-ik-niet/" in text
    assert NEW_ADDRESS in html


def test_a_password_change_notice_is_ours(client, alice):
    client.force_login(alice)
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "Nieuw-w8woord!",
            "password2": "Nieuw-w8woord!",
        },
    )
    notice = only(mail.outbox, alice.email)
    text, _html = assert_in_the_product_voice(notice)
    assert notice.subject == "Leerportaal: Je wachtwoord is veranderd"
    assert "Je wachtwoord is veranderd." in text


# --- the portal's own mails ---------------------------------------------------------------------


def test_the_booking_code_mail(
    client, funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(funded_alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leerrekening:booking-code-send", args=[course.pk]))
    message = only(mail.outbox, funded_alice.email)
    text, html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Je code om te bevestigen"
    code = next(word for word in text.split() if word.isdigit() and len(word) == 6)
    assert f"Je code is: {code}" in text
    assert code in html
    assert "De code werkt 10 minuten." in html


def test_a_booking_notice_mail(
    funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    from tests.support.booking import book

    with django_capture_on_commit_callbacks(execute=True):
        book(funded_alice, course)
    message = only(mail.outbox, funded_alice.email)
    text, html = assert_in_the_product_voice(message)
    assert course.title in message.subject
    assert "450,00" in text
    assert "Dit bericht staat ook in je Leerportaal" in text
    assert "450,00" in html


def test_the_notice_frame_is_in_the_portals_language_english_when_set(settings, alice):
    # People have no language of their own: the portal's (LANGUAGE_CODE) frames what the
    # notification says (written in Dutch when it was made).
    settings.LANGUAGE_CODE = "en"
    notification = notifications.notification_create(
        user_id=alice.pk, kind="booking", title="Boeking 1", body="Bericht <1>"
    )
    assert notifications.notification_email(notification_id=notification.pk) is True
    message = only(mail.outbox, alice.email)
    text, html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Boeking 1"
    assert "This message is also in your Leerportaal" in text
    assert "Regards, Leerportaal" in text
    assert "Bericht &lt;1&gt;" in html  # what a notification says is escaped in the HTML


def test_the_lockout_mail(
    client, funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    from leerrekening.models import ConfirmationLockout
    from leerrekening.tasks import confirmation_locked_email_send

    lockout = ConfirmationLockout.objects.create(
        user=funded_alice,
        attempts=5,
        locked_at=datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC),
        locked_until=datetime.datetime(2026, 3, 2, 10, 15, tzinfo=datetime.UTC),
    )
    confirmation_locked_email_send(lockout.pk)
    message = only(mail.outbox, funded_alice.email)
    text, _html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Bevestigen is even geblokkeerd"
    assert "Er is 5 keer een verkeerd wachtwoord" in text
    assert "tot 11:15 uur" in text  # Amsterdam time


def test_the_coordinator_freeze_mail(
    client, funded_alice, carla, celery_eager, django_capture_on_commit_callbacks
):
    from accounts.takeover import freeze_url

    with django_capture_on_commit_callbacks(execute=True):
        client.post(freeze_url(user=funded_alice))
    message = only(mail.outbox, carla.email)
    text, html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Een account is bevroren"
    assert f"(gebruiker {funded_alice.pk})" in text
    assert "hef de bevriezing op" in html


def test_the_ambassador_follow_up_mail(amir, acme, celery_eager):
    factories.ConversationFactory(
        ambassador=amir,
        employer=acme,
        outcome="follow_up",
        follow_up_on=datetime.date.today(),
    )
    assert ambassadeur_tasks.follow_up_reminders_enqueue() == 1
    message = only(mail.outbox, amir.email)
    text, _html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: Je hebt 1 vervolgafspraak"
    assert text.startswith("Hoi ")
    assert "Groet, Leerportaal" in text


def test_a_reset_for_an_unknown_address_is_ours_and_offers_no_sign_up(client, db):
    client.post(reverse("account_reset_password"), {"email": "onbekend@example.org"})
    message = only(mail.outbox, "onbekend@example.org")
    text, _html = assert_in_the_product_voice(message)
    assert message.subject == "Leerportaal: We kennen dit e-mailadres niet"
    assert "Je werkgever of fonds maakt je account aan" in text
    assert "/signup/" not in text


ALLAUTH_MAILS = [
    "account/email/account_already_exists",
    "account/email/email_changed",
    "account/email/email_confirm",
    "account/email/email_confirmation",
    "account/email/email_confirmation_signup",
    "account/email/email_deleted",
    "account/email/login_code",
    "account/email/password_changed",
    "account/email/password_reset_code",
    "account/email/password_reset_key",
    "account/email/password_reset",
    "account/email/password_set",
    "account/email/unknown_account",
    "accounts/email/email_added",
    "mfa/email/recovery_codes_generated",
    "mfa/email/totp_activated",
    "mfa/email/totp_deactivated",
    "mfa/email/webauthn_added",
    "mfa/email/webauthn_removed",
]


@pytest.mark.parametrize("prefix", ALLAUTH_MAILS)
@pytest.mark.parametrize(
    ("language", "greeting"), [("nl", "Groet, Leerportaal"), ("en", "Regards")]
)
def test_every_allauth_mail_has_our_text_in_both_languages(rf, alice, prefix, language, greeting):
    from allauth.account.adapter import get_adapter

    request = rf.get("/")
    request.user = alice
    context = {"user": alice, "email": alice.email, "code": "123456", "request": request}
    with translation.override(language):
        message = get_adapter(request).render_mail(prefix, alice.email, context)
    text, _html = assert_in_the_product_voice(message)
    assert text.startswith("Hoi Alice," if language == "nl" else "Hi Alice,")
    assert greeting in text
    for allauth_default in ("Hello from", "Thank you for using", "receiving this email"):
        assert allauth_default not in text
