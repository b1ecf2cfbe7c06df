"""Withdrawing an approval: new bookings stop at once; every open reservation made before goes
back to its worker in full, exactly once (one void per booking, however often the task runs);
paid bookings are left to settlement; workers are told; the books stay whole."""

from __future__ import annotations

import datetime
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leerrekening import ledger, tasks
from leerrekening.bookings import services as booking_services
from leerrekening.catalogue import services
from leerrekening.catalogue.selectors import bookable_courses
from leerrekening.catalogue.withdrawal import withdrawal_release_chunk, withdrawals_sweep
from leerrekening.models import ApprovalWithdrawal, Booking, Notification, Reservation
from tests import factories
from tests.support.approvals import release_all, voids_of
from tests.support.booking import book
from tests.support.concurrency import run_concurrently
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db


def funded_workers(n: int, amount: str = "500.00"):
    funder = factories.FunderFactory(employer=factories.EmployerFactory())
    workers = [factories.UserFactory() for _ in range(n)]
    for worker in workers:
        fund(amount, worker=worker, funder=funder)
    return workers


def balance(worker) -> Decimal:
    return ledger.account_for_worker(worker=worker).balance


def booked(workers, course, prefix="t"):
    return [book(w, course, token=f"{prefix}-{i}") for i, w in enumerate(workers)]


def test_withdrawing_a_course_stops_new_bookings_at_once(carla, course, funded_alice):
    assert course in bookable_courses()
    services.course_approval_withdraw(course=course, by=carla, reason="Klachten")
    assert course not in bookable_courses()
    with pytest.raises(booking_services.CourseNotBookable):
        book(funded_alice, course)
    assert balance(funded_alice) == Decimal("1000.00")


def test_withdrawing_a_provider_stops_bookings_of_all_its_courses(carla, course, funded_alice):
    services.provider_approval_withdraw(provider=course.provider, by=carla, reason="Fraude")
    course.refresh_from_db()
    assert course.approved_at is not None  # the course's own approval stays; the provider's is gone
    assert course not in bookable_courses()
    with pytest.raises(booking_services.CourseNotBookable):
        book(funded_alice, course)


def test_a_withdrawal_releases_every_open_reservation_once_and_leaves_paid_ones(
    carla, olaf, provider, committed
):
    course = factories.CourseFactory(provider=provider, price=Decimal("300.00"))
    workers = funded_workers(4)
    bookings = booked(workers, course)
    # One started (paid to the provider): settlement's business, not the withdrawal's.
    course.start_date = timezone.localdate()
    course.save(update_fields=["start_date"])
    paid = booking_services.booking_declare_start(booking=bookings[0], by=olaf)
    course.start_date = timezone.localdate() + datetime.timedelta(days=30)
    course.save(update_fields=["start_date"])
    # One frozen ("dit was ik niet"), its reservation still open: released too.
    booking_services.booking_freeze(booking=bookings[1], by=workers[1], reason="niet ik")
    other = factories.CourseFactory(price=Decimal("100.00"))
    elsewhere = book(workers[2], other, token="elders")

    with committed():
        withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Klachten")

    withdrawal.refresh_from_db()
    assert withdrawal.released_at is not None
    assert withdrawal.released_count == 3
    statuses = {b.pk: b.status for b in Booking.objects.filter(course=course)}
    assert statuses == {
        paid.pk: Booking.Status.STARTED,
        bookings[1].pk: Booking.Status.CANCELLED,
        bookings[2].pk: Booking.Status.CANCELLED,
        bookings[3].pk: Booking.Status.CANCELLED,
    }
    assert [voids_of(b) for b in bookings] == [0, 1, 1, 1]
    assert Reservation.objects.get(pk=paid.reservation_id).status == Reservation.Status.POSTED
    assert not Reservation.objects.filter(booking__course=course, status="open").exists()
    elsewhere.refresh_from_db()
    assert elsewhere.status == Booking.Status.RESERVED  # another provider's booking stays
    assert [balance(w) for w in workers] == [
        Decimal("200.00"),
        Decimal("500.00"),
        Decimal("400.00"),  # 100 still reserved for the other course
        Decimal("500.00"),
    ]
    told = Notification.objects.filter(title__startswith="Je boeking van", kind="release")
    assert sorted(n.user_id for n in told) == sorted(w.pk for w in workers[1:])
    # (Notification mails go out in batches: earlier unmailed ones, e.g. "geboekt", come along.)
    worker_mails = [m for m in mail.outbox if "is geannuleerd" in m.subject]
    assert sorted(m.to[0] for m in worker_mails) == sorted(w.email for w in workers[1:])
    (provider_mail,) = [m for m in mail.outbox if m.to == [olaf.email]]
    assert "Klachten" in provider_mail.body
    assert_invariants_hold()


def test_a_provider_withdrawal_releases_the_reservations_of_all_its_courses(carla, provider):
    courses = [factories.CourseFactory(provider=provider, price=Decimal("50.00")) for _ in range(3)]
    workers = funded_workers(3)
    bookings = [
        book(w, c, token=f"p-{i}") for i, (w, c) in enumerate(zip(workers, courses, strict=True))
    ]
    withdrawal = services.provider_approval_withdraw(provider=provider, by=carla, reason="Fraude")
    release_all(withdrawal)
    assert [voids_of(b) for b in bookings] == [1, 1, 1]
    assert {balance(w) for w in workers} == {Decimal("500.00")}
    assert_invariants_hold()


def test_a_large_withdrawal_is_released_in_chunks(carla, provider, settings):
    settings.BOOKING_MAX_PER_COURSE_PER_PERIOD = 100
    course = factories.CourseFactory(provider=provider, price=Decimal("10.00"), capacity=50)
    workers = funded_workers(7)
    bookings = booked(workers, course)
    withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Stop")
    assert release_all(withdrawal, size=3) == 3  # 3 + 3 + 1
    withdrawal.refresh_from_db()
    assert withdrawal.released_count == 7
    assert [voids_of(b) for b in bookings] == [1] * 7
    assert_invariants_hold()


def test_the_task_delivered_twice_voids_nothing_twice(carla, provider, committed):
    course = factories.CourseFactory(provider=provider, price=Decimal("120.00"))
    workers = funded_workers(3)
    bookings = booked(workers, course)
    with committed():
        withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Stop")
    # A duplicate delivery, a late retry and the sweeper all run it again.
    with committed():
        assert tasks.approval_withdrawal_release.delay(withdrawal.pk).get() is True
        tasks.approval_withdrawal_release(withdrawal.pk)
    ApprovalWithdrawal.objects.filter(pk=withdrawal.pk).update(released_at=None)
    assert withdrawal_release_chunk(withdrawal_id=withdrawal.pk) is True
    withdrawal.refresh_from_db()
    assert withdrawal.released_count == 3
    assert [voids_of(b) for b in bookings] == [1, 1, 1]
    assert Notification.objects.filter(title__startswith="Je boeking van").count() == 3
    assert {balance(w) for w in workers} == {Decimal("500.00")}
    assert_invariants_hold()


def test_a_job_left_half_done_is_finished_by_the_sweeper(carla, provider, committed, settings):
    course = factories.CourseFactory(provider=provider, price=Decimal("20.00"))
    workers = funded_workers(5)
    bookings = booked(workers, course)
    # The task's message was lost (Redis down): nothing is sent on commit here.
    withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Stop")
    # A worker process crashed after one chunk.
    assert withdrawal_release_chunk(withdrawal_id=withdrawal.pk, size=2) is False
    assert sum(voids_of(b) for b in bookings) == 2
    ApprovalWithdrawal.objects.filter(pk=withdrawal.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    with committed():
        assert withdrawals_sweep(stale_after=datetime.timedelta(minutes=2)) == 1
    withdrawal.refresh_from_db()
    assert withdrawal.released_at is not None
    assert withdrawal.released_count == 5
    assert [voids_of(b) for b in bookings] == [1] * 5
    assert withdrawals_sweep(stale_after=datetime.timedelta(0)) == 0  # nothing left to send
    assert_invariants_hold()


def test_a_worker_who_cancelled_first_is_not_released_again(carla, course, funded_alice):
    booking = book(funded_alice, course)
    booking_services.booking_cancel(booking=booking, by=funded_alice)
    withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Stop")
    release_all(withdrawal)
    assert voids_of(booking) == 1
    assert withdrawal.__class__.objects.get(pk=withdrawal.pk).released_count == 0
    assert balance(funded_alice) == Decimal("1000.00")
    assert_invariants_hold()


def test_a_booking_after_a_new_approval_is_not_the_old_withdrawals_business(
    carla, course, funded_alice
):
    withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Even niet")
    services.course_approve(course=course, by=carla)
    booking = book(funded_alice, course)
    release_all(withdrawal)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RESERVED
    assert voids_of(booking) == 0


def test_withdrawing_needs_a_reason_and_an_approval(carla, course, pending_course):
    for reason in ("", "  "):
        with pytest.raises(services.ReasonRequired):
            services.course_approval_withdraw(course=course, by=carla, reason=reason)
    with pytest.raises(services.NotApproved) as refused:
        services.course_approval_withdraw(course=pending_course, by=carla, reason="Stop")
    assert refused.value.code == "approval_not_approved"
    course.refresh_from_db()
    assert course.approved_at is not None
    assert not ApprovalWithdrawal.objects.exists()


def test_the_queue_page_withdraws_with_a_reason(
    client, carla, olaf, course, funded_alice, committed
):
    booking = book(funded_alice, course)
    client.force_login(carla)
    url = reverse("leerrekening:coordinator-course-withdraw", args=[course.pk])
    refused = client.post(url, {"reason": ""}, follow=True)
    assert "Geef een reden" in refused.content.decode()
    with committed():
        response = client.post(url, {"reason": "Klachten van deelnemers"}, follow=True)
    assert "ingetrokken" in response.content.decode()
    course.refresh_from_db()
    assert (course.approved_at, course.rejection_reason) == (None, "Klachten van deelnemers")
    assert voids_of(booking) == 1
    assert balance(funded_alice) == Decimal("1000.00")
    assert any(m.to == [olaf.email] and "ingetrokken" in m.subject for m in mail.outbox)


def test_the_admin_action_withdraws_a_provider(client, carla, course, funded_alice, committed):
    booking = book(funded_alice, course)
    client.force_login(carla)
    with committed():
        client.post(
            reverse("admin:leerrekening_provider_changelist"),
            {"action": "withdraw", "_selected_action": [course.provider.pk], "reason": "Fraude"},
        )
    course.provider.refresh_from_db()
    assert course.provider.approved_at is None
    assert voids_of(booking) == 1
    assert_invariants_hold()


# --- Real concurrency: threads on their own PostgreSQL connections ----------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["course", "provider"])
def test_a_withdrawal_during_a_booking_rush_leaves_no_open_reservation(what):
    carla = factories.UserFactory(is_worker=False, is_staff=True, is_coordinator=True)
    course = factories.CourseFactory(price=Decimal("100.00"), capacity=40)
    n = 12
    workers = funded_workers(n)
    withdrawals = []

    def work(i):
        if i < n:
            return book(workers[i], course, token=f"rush-{i}")
        time.sleep(0.01)  # into the rush, not before it
        if what == "course":
            withdrawals.append(
                services.course_approval_withdraw(course=course, by=carla, reason="Stop")
            )
        else:
            withdrawals.append(
                services.provider_approval_withdraw(
                    provider=course.provider, by=carla, reason="Stop"
                )
            )
        return "withdrawn"

    results = run_concurrently(n + 1, work)
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome["str"] == 1, results
    assert set(outcome) <= {"str", "Booking", "CourseNotBookable"}, results
    (withdrawal,) = withdrawals
    release_all(withdrawal)  # what the task does after the commit
    assert not Reservation.objects.filter(status="open").exists()
    assert not Booking.objects.filter(course=course, status="reserved").exists()
    for worker in workers:
        assert balance(worker) == Decimal("500.00")
    for booking in Booking.objects.filter(course=course):
        assert voids_of(booking) == 1
    # The task delivered again: nothing moves twice.
    ApprovalWithdrawal.objects.filter(pk=withdrawal.pk).update(released_at=None)
    release_all(withdrawal)
    assert sum(voids_of(b) for b in Booking.objects.filter(course=course)) == outcome["Booking"]
    assert_invariants_hold()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_cancelling_while_the_release_runs_gets_the_money_back_once():
    carla = factories.UserFactory(is_worker=False, is_staff=True, is_coordinator=True)
    course = factories.CourseFactory(price=Decimal("80.00"))
    workers = funded_workers(6)
    bookings = booked(workers, course)
    withdrawal = services.course_approval_withdraw(course=course, by=carla, reason="Stop")

    def work(i):
        if i < len(workers):
            return booking_services.booking_cancel(booking=bookings[i], by=workers[i])
        return release_all(withdrawal, size=2)

    results = run_concurrently(len(workers) + 2, lambda i: work(min(i, len(workers))))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [voids_of(b) for b in bookings] == [1] * len(workers)
    assert {balance(w) for w in workers} == {Decimal("500.00")}
    assert not Reservation.objects.filter(status="open").exists()
    assert_invariants_hold()
