"""Guessing the confirmation of a booking (issue 16): every wrong password or code is counted in a
write of its own, also when the request is refused and its transaction rolls back (the API's
idempotency transaction); 5 wrong ones in 15 minutes lock confirming for 15 minutes, even with
the right password or code; the worker gets an e-mail; coordinators see the lockout; at most 3
codes are sent per 15 minutes."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from leerrekening import selectors
from leerrekening.bookings import confirmation
from leerrekening.models import (
    Booking,
    ConfirmationAttempt,
    ConfirmationLockout,
    OneTimeCode,
    Reservation,
)
from tests import factories
from tests.factories import TEST_PASSWORD

D = Decimal
_keys = itertools.count()


def assert_nothing_moved(worker):
    assert not Booking.objects.exists()
    assert not Reservation.objects.exists()
    assert selectors.account_summary(worker=worker).available == D("1000.00")


@pytest.fixture
def sent_codes(monkeypatch):
    """The plain codes e-mailed, in order (the task is not run)."""
    codes = []
    monkeypatch.setattr(
        "leerrekening.tasks.one_time_code_email_send.apply_async",
        lambda args, **options: codes.append(args[1]),
    )
    return codes


def wrong_code_for(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- Through the API ------------------------------------------------------------------------------


@pytest.fixture
def api(funded_alice):
    client = APIClient()
    client.force_authenticate(funded_alice)
    return client


def api_book(api, course, **confirm):
    body = {"course": course.pk, "work_related": True, **confirm}
    return api.post(
        reverse("api:v1:me-bookings"),
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"guess-{next(_keys)}",
    )


# transaction=True: the API's idempotency transaction is then a real one, as in production, and
# the counting write on the second connection sees the committed worker.
@pytest.mark.django_db(transaction=True)
def test_api_five_wrong_passwords_lock_even_the_right_one_and_nothing_moves(
    api, funded_alice, course, celery_eager
):
    for attempt in range(1, 5):
        response = api_book(api, course, password="fout")
        assert response.status_code == 403
        assert response.json()["code"] == "confirmation_failed"
        # Counted although the request was refused and its transaction rolled back.
        assert ConfirmationAttempt.objects.filter(user=funded_alice).count() == attempt

    fifth = api_book(api, course, password="fout")
    assert fifth.status_code == 429
    assert fifth.json()["code"] == "confirmation_locked"

    right = api_book(api, course, password=TEST_PASSWORD)
    assert right.status_code == 429
    body = right.json()
    assert body["code"] == "confirmation_locked"
    assert set(body) == {"code", "message", "locked_until"}
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60
    assert_nothing_moved(funded_alice)

    lockout = ConfirmationLockout.objects.get(user=funded_alice)
    assert lockout.attempts == 5
    # The worker is told, once.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [funded_alice.email]
    assert "geblokkeerd" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_api_confirming_works_again_after_fifteen_minutes(api, funded_alice, course, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    for _ in range(5):
        api_book(api, course, password="fout")
    assert api_book(api, course, password=TEST_PASSWORD).status_code == 429

    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 15, 1, tzinfo=datetime.UTC), tick=False)
    response = api_book(api, course, password=TEST_PASSWORD)
    assert response.status_code == 201, response.json()
    assert Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_api_wrong_codes_are_counted_and_lock_even_the_right_code(
    api, funded_alice, course, sent_codes
):
    assert api.post(reverse("api:v1:me-booking-code")).status_code == 202
    code = sent_codes[-1]
    for _ in range(4):
        response = api_book(api, course, code=wrong_code_for(code))
        assert response.status_code == 403
        assert response.json()["code"] == "confirmation_failed"
    assert ConfirmationAttempt.objects.filter(user=funded_alice, method="code").count() == 4
    assert api_book(api, course, code=wrong_code_for(code)).status_code == 429

    right = api_book(api, course, code=code)
    assert right.status_code == 429
    assert right.json()["code"] == "confirmation_locked"
    assert_nothing_moved(funded_alice)
    # The right code was not looked at while locked: it was not used up.
    assert OneTimeCode.objects.get().used_at is None


@pytest.mark.django_db(transaction=True)
def test_api_a_fourth_code_within_fifteen_minutes_is_refused_with_retry_after(
    api, funded_alice, sent_codes
):
    url = reverse("api:v1:me-booking-code")
    for _ in range(3):
        assert api.post(url).status_code == 202
    fourth = api.post(url)
    assert fourth.status_code == 429
    assert fourth.json()["code"] == "too_many_codes"
    assert "retry_at" in fourth.json()
    assert 0 < int(fourth.headers["Retry-After"]) <= 15 * 60
    assert len(sent_codes) == 3
    assert OneTimeCode.objects.filter(user=funded_alice).count() == 3


# --- Through the web form -------------------------------------------------------------------------


def web_book(client, course, **overrides):
    data = {
        "request_token": f"tok-{next(_keys)}",
        "work_related": "yes",
        "confirm_with": "password",
        "password": TEST_PASSWORD,
        **overrides,
    }
    return client.post(reverse("leerrekening:booking-create", args=[course.pk]), data)


@pytest.mark.django_db
def test_web_five_wrong_passwords_lock_even_the_right_one_and_the_worker_is_told(
    client, funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(funded_alice)
    for _ in range(4):
        assert web_book(client, course, password="fout").status_code == 400
    assert ConfirmationAttempt.objects.filter(user=funded_alice, method="password").count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert web_book(client, course, password="fout").status_code == 429

    response = web_book(client, course)
    assert response.status_code == 429
    assert "te vaak een verkeerd wachtwoord" in response.content.decode()
    assert "Probeer het opnieuw na" in response.content.decode()
    assert_nothing_moved(funded_alice)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [funded_alice.email]


@pytest.mark.django_db
def test_web_wrong_codes_lock_and_after_fifteen_minutes_a_new_code_books(
    client, funded_alice, course, sent_codes, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    client.force_login(funded_alice)
    send_url = reverse("leerrekening:booking-code-send", args=[course.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send_url)
    code = sent_codes[-1]
    for _ in range(4):
        response = web_book(client, course, confirm_with="code", password="", code="123")
        assert response.status_code == 400
    assert web_book(client, course, confirm_with="code", password="", code="123").status_code == 429
    assert ConfirmationAttempt.objects.filter(user=funded_alice, method="code").count() == 5
    locked = web_book(client, course, confirm_with="code", password="", code=code)
    assert locked.status_code == 429
    assert_nothing_moved(funded_alice)

    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 15, 1, tzinfo=datetime.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send_url)
    response = web_book(client, course, confirm_with="code", password="", code=sent_codes[-1])
    assert response.status_code == 302
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_web_a_fourth_code_within_fifteen_minutes_is_refused_and_says_when(
    client, funded_alice, course, sent_codes, django_capture_on_commit_callbacks
):
    client.force_login(funded_alice)
    send_url = reverse("leerrekening:booking-code-send", args=[course.pk])
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(send_url, follow=True)
    assert len(sent_codes) == 3
    assert "Een nieuwe code kun je vragen na" in response.content.decode()


# --- Counting, whatever the caller's transaction does ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_inside_a_transaction_that_rolls_back_is_still_counted(funded_alice):
    from django.db import transaction

    class Refused(Exception):
        pass

    def refused_request():
        with transaction.atomic():
            assert not confirmation.fresh_confirmation_check(user=funded_alice, password="fout")
            raise Refused

    with pytest.raises(Refused):
        refused_request()
    assert ConfirmationAttempt.objects.filter(user=funded_alice).count() == 1


@pytest.mark.django_db
def test_a_right_password_writes_nothing(funded_alice):
    assert confirmation.fresh_confirmation_check(user=funded_alice, password=TEST_PASSWORD)
    # By this user: attempts other tests wrote on the side connection are committed, not rolled back.
    assert not ConfirmationAttempt.objects.filter(user=funded_alice).exists()


@pytest.mark.django_db
def test_wrong_attempts_older_than_fifteen_minutes_do_not_lock(funded_alice, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    for _ in range(4):
        confirmation.fresh_confirmation_check(user=funded_alice, password="fout")
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 16, tzinfo=datetime.UTC), tick=False)
    assert not confirmation.fresh_confirmation_check(user=funded_alice, password="fout")
    assert confirmation.fresh_confirmation_check(user=funded_alice, password=TEST_PASSWORD)
    assert not ConfirmationLockout.objects.exists()
    # Only the attempts that still count are kept.
    assert ConfirmationAttempt.objects.filter(user=funded_alice).count() == 1


# --- Coordinators see it --------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinators_see_the_lockouts_in_the_admin(client, carla, funded_alice):
    for _ in range(4):
        confirmation.fresh_confirmation_check(user=funded_alice, password="fout")
    with pytest.raises(confirmation.ConfirmationLocked):
        confirmation.fresh_confirmation_check(user=funded_alice, password="fout")
    client.force_login(carla)
    response = client.get(
        reverse("admin:leerrekening_confirmationlockout_changelist") + "?actief=ja"
    )
    assert response.status_code == 200
    assert funded_alice.full_name in response.content.decode()


@pytest.mark.django_db
def test_a_worker_does_not_see_the_lockouts_admin(client, funded_alice):
    other = factories.UserFactory()
    client.force_login(other)
    response = client.get(reverse("admin:leerrekening_confirmationlockout_changelist"))
    assert response.status_code in (302, 403)
