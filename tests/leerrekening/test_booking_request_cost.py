"""A booking through the page stays cheap (issue 5: the portal must hold a rush), without
loosening any rule: the statements it runs are pinned, the audit trail's context is left out only
where no audited model can change, and the one-time code keeps its rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leerrekening import ledger
from leerrekening.bookings import services as booking_services
from leerrekening.bookings.confirmation import code_hash
from leerrekening.models import Booking, Notification, OneTimeCode, Reservation
from tests import factories
from tests.support.booking import CODE, book, booking_post, give_code

pytestmark = pytest.mark.django_db


def book_with_code(client, course, *, token="tok-1", code=CODE):  # noqa: S107 — a form token
    return booking_post(
        client, course, request_token=token, confirm_with="code", password="", code=code
    )


def test_a_booking_with_the_emailed_code_runs_a_pinned_number_of_statements(
    client, funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    give_code(funded_alice)
    # The provider's account and the escrow shard exist after a first booking; open them now.
    ledger.account_for_provider(provider=course.provider)
    ledger.reservations_account_for(account=ledger.account_for_worker(worker=funded_alice))
    client.force_login(funded_alice)
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = book_with_code(client, course)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.status == Booking.Status.RESERVED
    assert Reservation.objects.get(pk=booking.reservation_id).amount == Decimal("450.00")
    assert Notification.objects.get(user=funded_alice).emailed_at is not None
    assert len(mail.outbox) == 1
    # The user with its MFA role (the session is cached after the login), the course with the
    # account summary; the booking: locks, checks and the code, the ledger's locks with its
    # accounts, the reservation, the booking with its notification; the e-mail task. In a test
    # each transaction is a savepoint (2 statements) inside the test's own. (17 before the code
    # was checked inside the booking's transaction, the page read in one statement, the ledger's
    # accounts read with its locks and the notification written with the booking.)
    assert len(captured) <= 11, "\n".join(q["sql"][:120] for q in captured)


def test_a_workers_booking_carries_no_audit_context_and_changes_nothing_audited(
    client, funded_alice, course
):
    give_code(funded_alice)
    client.force_login(funded_alice)
    event_models = [
        apps.get_model(label)
        for label in [
            "accounts.EmployerEvent",
            "accounts.EmploymentEvent",
            "accounts.ApiKeyEvent",
            "leerrekening.ProviderEvent",
            "leerrekening.CourseEvent",
            "leerrekening.DepositSchemeEvent",
        ]
    ]
    before = [model.objects.count() for model in event_models]
    with CaptureQueriesContext(connection) as captured:
        assert book_with_code(client, course).status_code == 302
    assert not any("pghistory" in query["sql"] for query in captured)
    assert [model.objects.count() for model in event_models] == before


def test_a_coordinators_change_is_still_audited_with_who_and_from_which_page(client, carla):
    course = factories.CourseFactory(approved_at=None)
    client.force_login(carla)
    url = reverse("leerrekening:coordinator-course-approve", args=[course.pk])
    client.post(url)
    course.refresh_from_db()
    assert course.approved_at is not None
    event = (
        apps.get_model("leerrekening", "CourseEvent")
        .objects.filter(pgh_obj=course)
        .order_by("pgh_id")
        .last()
    )
    assert event.pgh_context.metadata == {"user": carla.pk, "url": url}


def test_a_right_code_is_used_up_even_when_the_booking_then_fails(client, alice, course):
    # alice has no budget: the booking fails after the code was accepted; the code stays used.
    give_code(alice)
    client.force_login(alice)
    response = booking_post(
        client, course, confirm_with="code", password="", code=CODE, pays_rest_self="on"
    )
    assert response.status_code == 400
    assert Booking.objects.count() == 0
    record = OneTimeCode.objects.get()
    assert record.used_at is not None
    assert record.attempts == 1


def test_a_wrong_code_counts_and_a_malformed_one_too(client, funded_alice, course):
    give_code(funded_alice)
    client.force_login(funded_alice)
    wrong = "000000" if CODE != "000000" else "111111"
    assert book_with_code(client, course, code=wrong).status_code == 400
    assert book_with_code(client, course, code="12ab").status_code == 400
    record = OneTimeCode.objects.get()
    assert record.attempts == 2
    assert record.used_at is None
    assert book_with_code(client, course).status_code == 302


def test_only_the_newest_unused_code_works(funded_alice):
    from leerrekening.bookings.confirmation import one_time_code_verify

    give_code(funded_alice)
    newer = OneTimeCode.objects.create(
        user=funded_alice,
        purpose="booking",
        code_hash=code_hash(user_id=funded_alice.pk, code="246802"),
        expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    assert not one_time_code_verify(user=funded_alice, code=CODE)
    assert one_time_code_verify(user=funded_alice, code="246802")
    newer.refresh_from_db()
    assert newer.used_at is not None


def test_a_serialised_reservation_key_replays_without_moving_money_again(funded_alice, provider):
    def reserve(amount: str):
        return ledger.reservation_create(
            worker=funded_alice,
            provider=provider,
            amount=Decimal(amount),
            idempotency_key="k-1",
            key_serialised=True,
        )

    first = reserve("100.00")
    again = reserve("100.00")
    assert again.pk == first.pk
    assert Reservation.objects.count() == 1
    with pytest.raises(ledger.IdempotencyConflict):
        reserve("99.00")


def test_an_unbookable_course_has_no_booking_page(client, funded_alice, provider):
    client.force_login(funded_alice)
    not_approved = factories.CourseFactory(provider=provider, approved_at=None)
    started = factories.CourseFactory(provider=provider, start_date=timezone.localdate())
    for unbookable in (not_approved, started):
        url = reverse("leerrekening:booking-create", args=[unbookable.pk])
        assert client.get(url).status_code == 404
        assert book_with_code(client, unbookable).status_code == 404
    assert Booking.objects.count() == 0


def test_the_booking_page_shows_the_course_and_its_provider(client, funded_alice, course):
    client.force_login(funded_alice)
    page = client.get(reverse("leerrekening:booking-create", args=[course.pk])).content.decode()
    assert course.title in page
    assert course.provider.name in page


def test_a_wrong_code_refuses_the_booking_and_its_attempt_stays_counted(funded_alice, course):
    give_code(funded_alice)
    wrong = "000000" if CODE != "000000" else "111111"
    with pytest.raises(booking_services.ConfirmationFailed):
        book(funded_alice, course, code=wrong)
    record = OneTimeCode.objects.get()
    assert (record.attempts, record.used_at) == (1, None)
    assert Booking.objects.count() == 0
    assert Reservation.objects.count() == 0
    assert book(funded_alice, course, code=CODE).status == Booking.Status.RESERVED


def test_a_right_code_stays_used_when_the_service_refuses_the_booking(alice, course):
    # alice has no budget: the refusal commits the used code and nothing else.
    give_code(alice)
    with pytest.raises(booking_services.InsufficientBudget):
        book(alice, course, code=CODE)
    record = OneTimeCode.objects.get()
    assert record.used_at is not None
    assert Booking.objects.count() == 0
    with pytest.raises(booking_services.ConfirmationFailed):
        book(alice, course, code=CODE, token="svc-2")


def test_a_code_out_of_attempts_or_expired_refuses_even_the_right_code(funded_alice, course):
    give_code(funded_alice)
    OneTimeCode.objects.update(attempts=5)
    with pytest.raises(booking_services.ConfirmationFailed):
        book(funded_alice, course, code=CODE)
    OneTimeCode.objects.update(
        attempts=0, expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(booking_services.ConfirmationFailed):
        book(funded_alice, course, code=CODE, token="svc-2")
    assert Booking.objects.count() == 0


def test_a_double_submit_with_the_used_code_returns_the_same_booking(client, funded_alice, course):
    give_code(funded_alice)
    client.force_login(funded_alice)
    first = book_with_code(client, course, token="same-form")
    again = book_with_code(client, course, token="same-form")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Booking.objects.count() == 1
    assert Reservation.objects.count() == 1
