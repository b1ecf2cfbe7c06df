"""Booking, cancelling and freezing: the money moves as designed, the fraud lessons hold."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leerrekening import selectors
from leerrekening.bookings import confirmation
from leerrekening.bookings import services as services
from leerrekening.models import Booking, Notification, OneTimeCode, Reservation
from tests import factories
from tests.support.booking import book, booking_post
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db
D = Decimal


def test_booking_reserves_the_price_and_the_available_balance_drops(funded_alice, course):
    booking = book(funded_alice, course)

    assert booking.status == Booking.Status.RESERVED
    assert booking.reservation.status == Reservation.Status.OPEN
    assert booking.budget_amount == D("450.00")
    assert booking.own_contribution == D("0.00")
    summary = selectors.account_summary(worker=funded_alice)
    assert summary.available == D("550.00")
    assert summary.reserved == D("450.00")
    assert_invariants_hold()


def test_the_same_request_token_twice_books_and_reserves_once(funded_alice, course):
    first = book(funded_alice, course, token="same")
    second = book(funded_alice, course, token="same")

    assert first.pk == second.pk
    assert Booking.objects.count() == 1
    assert Reservation.objects.count() == 1
    assert selectors.account_summary(worker=funded_alice).available == D("550.00")


def test_a_reused_token_for_another_course_is_refused(funded_alice, course, provider):
    book(funded_alice, course, token="same")
    second = factories.CourseFactory(provider=provider)
    with pytest.raises(services.RequestTokenReused):
        book(funded_alice, second, token="same")


def test_a_price_above_the_balance_is_refused_with_what_is_available(alice, course):
    fund("100.00", worker=alice)
    with pytest.raises(services.InsufficientBudget) as caught:
        book(alice, course)
    assert caught.value.available == D("100.00")
    assert caught.value.requested == D("450.00")
    assert Booking.objects.count() == 0


def test_paying_the_rest_yourself_reserves_what_the_budget_covers(alice, course):
    fund("100.00", worker=alice)
    booking = book(alice, course, pays_rest_self=True)

    assert booking.budget_amount == D("100.00")
    assert booking.own_contribution == D("350.00")
    assert booking.reservation.amount == D("100.00")
    assert selectors.account_summary(worker=alice).available == D("0.00")
    assert_invariants_hold()


def test_a_course_not_about_work_or_career_is_not_paid_from_the_budget(funded_alice, course):
    with pytest.raises(services.NotWorkRelated):
        book(funded_alice, course, work_related=False)
    assert Booking.objects.count() == 0


def test_unapproved_courses_and_providers_cannot_be_booked(funded_alice, provider):
    unapproved_course = factories.CourseFactory(provider=provider, approved_at=None)
    with pytest.raises(services.CourseNotBookable):
        book(funded_alice, unapproved_course, token="a")
    unapproved_provider = factories.CourseFactory(
        provider=factories.ProviderFactory(approved_at=None)
    )
    with pytest.raises(services.CourseNotBookable):
        book(funded_alice, unapproved_provider, token="b")
    started = factories.CourseFactory(provider=provider, start_date=timezone.localdate())
    with pytest.raises(services.CourseNotBookable):
        book(funded_alice, started, token="c")
    assert Booking.objects.count() == 0


def test_a_full_course_cannot_be_booked(funded_alice, bob, provider):
    course = factories.CourseFactory(provider=provider, capacity=1, price=D("10.00"))
    fund("50.00", worker=bob)
    book(bob, course)
    with pytest.raises(services.CourseFull):
        book(funded_alice, course)


def test_a_worker_has_at_most_three_bookings_waiting_for_their_start(funded_alice, provider):
    for n in range(3):
        book(funded_alice, factories.CourseFactory(provider=provider, price=D("10")), token=f"{n}")
    with pytest.raises(services.TooManyPendingBookings):
        book(funded_alice, factories.CourseFactory(provider=provider, price=D("10")), token="4")


def test_the_same_course_cannot_be_booked_twice_while_active(funded_alice, course):
    book(funded_alice, course, token="a")
    with pytest.raises(services.AlreadyBooked):
        book(funded_alice, course, token="b")


def test_a_course_takes_at_most_the_capped_number_of_bookings_per_period(
    settings, funded_alice, bob, course
):
    settings.BOOKING_MAX_PER_COURSE_PER_PERIOD = 1
    fund("500.00", worker=bob)
    book(bob, course)
    with pytest.raises(services.CourseBookingCapReached):
        book(funded_alice, course)


def test_cancelling_before_the_start_releases_the_reservation_in_full(funded_alice, course):
    booking = book(funded_alice, course)
    services.booking_cancel(booking=booking, by=funded_alice)
    services.booking_cancel(booking=booking, by=funded_alice)  # a double click moves nothing

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.reservation.status == Reservation.Status.VOIDED
    summary = selectors.account_summary(worker=funded_alice)
    assert summary.available == D("1000.00")
    assert summary.reserved == D("0.00")
    assert_invariants_hold()


def test_a_booking_cannot_be_cancelled_on_or_after_the_start_date(
    funded_alice, course, time_machine
):
    booking = book(funded_alice, course)
    time_machine.move_to(datetime.datetime.combine(course.start_date, datetime.time(12)))
    with pytest.raises(services.BookingNotCancellable):
        services.booking_cancel(booking=booking, by=funded_alice)


def test_a_cancelled_course_can_be_booked_again(funded_alice, course):
    booking = book(funded_alice, course, token="a")
    services.booking_cancel(booking=booking, by=funded_alice)
    again = book(funded_alice, course, token="b")
    assert again.status == Booking.Status.RESERVED


def test_every_booking_and_cancellation_is_announced_in_the_portal_and_by_email(
    funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(funded_alice, course)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, by=funded_alice)

    kinds = list(Notification.objects.filter(user=funded_alice).values_list("kind", flat=True))
    assert sorted(kinds) == ["booking", "release"]
    assert [m.to for m in mail.outbox] == [["alice@example.nl"], ["alice@example.nl"]]
    assert "Basiscursus lassen" in mail.outbox[0].subject
    assert "450,00" in mail.outbox[0].body


def test_dit_was_ik_niet_freezes_the_booking_holds_the_money_and_alerts_coordinators(
    funded_alice, course, carla, olaf
):
    booking = book(funded_alice, course)
    services.booking_freeze(booking=booking, by=funded_alice, reason="Niet door mij geboekt")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.FROZEN
    assert booking.frozen_reason == "Niet door mij geboekt"
    assert booking.reservation.status == Reservation.Status.OPEN  # not paid, not released yet
    assert Notification.objects.filter(user=carla, title__contains=f"#{booking.pk}").exists()
    with pytest.raises(services.BookingNotStartable):
        services.booking_declare_start(booking=booking, by=olaf)


def test_a_coordinator_releases_a_frozen_booking_back_to_the_worker(funded_alice, course, carla):
    booking = book(funded_alice, course)
    services.booking_freeze(booking=booking, by=funded_alice)
    services.frozen_booking_release(booking=booking, by=carla)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert selectors.account_summary(worker=funded_alice).available == D("1000.00")
    assert_invariants_hold()


def test_a_coordinator_restores_a_frozen_booking_that_was_the_workers_after_all(
    funded_alice, course, carla
):
    booking = book(funded_alice, course)
    services.booking_freeze(booking=booking, by=funded_alice)
    services.frozen_booking_restore(booking=booking, by=carla)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED
    assert booking.frozen_at is None


def test_a_payment_can_be_frozen_too(funded_alice, course, olaf, time_machine):
    booking = book(funded_alice, course)
    time_machine.move_to(datetime.datetime.combine(course.start_date, datetime.time(9)))
    services.booking_declare_start(booking=booking, by=olaf)
    services.booking_freeze(booking=booking, by=funded_alice)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.FROZEN
    assert booking.status_before_freeze == Booking.Status.STARTED


def test_the_database_refuses_two_active_bookings_for_one_course(funded_alice, course):
    from django.db import IntegrityError, transaction

    booking = book(funded_alice, course)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            worker=funded_alice,
            course=course,
            price=booking.price,
            budget_amount=D("0"),
            own_contribution=booking.price,
            work_related=True,
            request_token="other",
        )


def test_the_database_refuses_amounts_that_do_not_add_up_to_the_price(funded_alice, course):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            worker=funded_alice,
            course=course,
            price=D("450"),
            budget_amount=D("400"),
            own_contribution=D("0"),
            work_related=True,
            request_token="x",
        )


# --- Through the web: fresh confirmation ---------------------------------------------------------


def test_booking_through_the_page_with_the_password_reserves_the_money(
    client, funded_alice, course
):
    client.force_login(funded_alice)
    response = booking_post(client, course)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("leerrekening:booking-detail", args=[booking.pk])
    page = client.get(reverse("leerrekening:dashboard")).content.decode()
    assert "Je hebt nog € 550,00 te besteden" in page


def test_a_wrong_password_books_nothing(client, funded_alice, course):
    client.force_login(funded_alice)
    response = booking_post(client, course, password="fout")
    assert response.status_code == 400
    assert "Je wachtwoord klopt niet." in response.content.decode()
    assert Booking.objects.count() == 0


def test_a_double_submitted_form_books_once(client, funded_alice, course):
    client.force_login(funded_alice)
    booking_post(client, course)
    booking_post(client, course)
    assert Booking.objects.count() == 1


def test_not_enough_budget_shows_a_clear_message_and_offers_paying_the_rest(client, alice, course):
    fund("100.00", worker=alice)
    client.force_login(alice)
    response = booking_post(client, course)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Zet een vinkje als je de rest zelf betaalt" in body
    assert Booking.objects.count() == 0
    response = booking_post(client, course, pays_rest_self="on")
    assert response.status_code == 302
    assert Booking.objects.get().own_contribution == D("350.00")


def test_too_many_pending_bookings_shows_a_clear_message(client, funded_alice, provider):
    for n in range(3):
        book(funded_alice, factories.CourseFactory(provider=provider, price=D("10")), token=f"{n}")
    client.force_login(funded_alice)
    response = booking_post(client, factories.CourseFactory(provider=provider, price=D("10")))
    assert response.status_code == 400
    assert "Je hebt al 3 boekingen die nog niet zijn begonnen" in response.content.decode()


def test_a_worker_without_a_smartphone_confirms_with_a_code_by_email(
    client, funded_alice, course, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(funded_alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leerrekening:booking-code-send", args=[course.pk]))
    assert len(mail.outbox) == 1
    code = next(word for word in mail.outbox[0].body.split() if word.isdigit() and len(word) == 6)
    stored = OneTimeCode.objects.get()
    assert code not in stored.code_hash

    response = booking_post(client, course, confirm_with="code", password="", code=code)
    assert response.status_code == 302
    assert Booking.objects.count() == 1


def test_a_one_time_code_expires_after_ten_minutes(
    funded_alice, time_machine, monkeypatch, django_capture_on_commit_callbacks
):
    sent = {}
    monkeypatch.setattr(
        "leerrekening.tasks.one_time_code_email_send.apply_async",
        lambda args, **options: sent.setdefault("code", args[1]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirmation.one_time_code_send(user=funded_alice)
    record = OneTimeCode.objects.get()
    time_machine.move_to(record.expires_at + datetime.timedelta(seconds=1))
    assert not confirmation.one_time_code_verify(user=funded_alice, code=sent["code"])


def test_a_one_time_code_allows_five_attempts(
    funded_alice, monkeypatch, django_capture_on_commit_callbacks
):
    sent = {}
    monkeypatch.setattr(
        "leerrekening.tasks.one_time_code_email_send.apply_async",
        lambda args, **options: sent.setdefault("code", args[1]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirmation.one_time_code_send(user=funded_alice)
    wrong = "000000" if sent["code"] != "000000" else "111111"
    for _ in range(4):
        assert not confirmation.one_time_code_verify(user=funded_alice, code=wrong)
    # The 5th wrong one also locks confirming for the worker (issue 16): the right code too.
    with pytest.raises(confirmation.ConfirmationLocked):
        confirmation.one_time_code_verify(user=funded_alice, code=wrong)
    with pytest.raises(confirmation.ConfirmationLocked):
        confirmation.one_time_code_verify(user=funded_alice, code=sent["code"])
    assert OneTimeCode.objects.get().attempts == 5


def test_a_one_time_code_works_once(funded_alice, monkeypatch, django_capture_on_commit_callbacks):
    sent = {}
    monkeypatch.setattr(
        "leerrekening.tasks.one_time_code_email_send.apply_async",
        lambda args, **options: sent.setdefault("code", args[1]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirmation.one_time_code_send(user=funded_alice)
    assert confirmation.one_time_code_verify(user=funded_alice, code=sent["code"])
    assert not confirmation.one_time_code_verify(user=funded_alice, code=sent["code"])


def test_cancel_and_freeze_through_the_pages(client, funded_alice, course, carla):
    booking = book(funded_alice, course)
    client.force_login(funded_alice)
    response = client.post(
        reverse("leerrekening:booking-freeze", args=[booking.pk]), {"reason": ""}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.FROZEN
    response = client.post(reverse("leerrekening:booking-cancel", args=[booking.pk]), follow=True)
    assert "kun je niet meer annuleren" in response.content.decode()

    other = book(funded_alice, factories.CourseFactory(provider=course.provider), token="2")
    response = client.post(reverse("leerrekening:booking-cancel", args=[other.pk]), follow=True)
    assert "staat weer op je leerrekening" in response.content.decode()
    other.refresh_from_db()
    assert other.status == Booking.Status.CANCELLED
