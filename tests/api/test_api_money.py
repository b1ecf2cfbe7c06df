"""API calls that move money: Idempotency-Key required, replays return the first answer and move
nothing, a conflicting replay is a 422, 20 concurrent calls with one key have one effect; other
organisations' objects are 404 with no data."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from leerrekening import ledger, selectors
from leerrekening.models import Booking, DepositBatch, Transfer
from tests import factories
from tests.factories import TEST_PASSWORD
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def acme_funder(acme):
    funder = factories.FunderFactory(employer=acme)
    fund("1000.00", funder=funder)
    return funder


@pytest.fixture
def acme_api(employer_api, acme, acme_funder):
    return employer_api(acme)


@pytest.fixture
def course(db):
    return factories.CourseFactory(price=Decimal("300.00"))


@pytest.fixture
def alice_with_budget(alice, acme_funder):
    ledger.deposit_create(
        funder=acme_funder, worker=alice, amount=Decimal("500.00"), idempotency_key="d"
    )
    return alice


def book(api, course, key, **extra):
    body = {"course": course.pk, "work_related": True, "password": TEST_PASSWORD, **extra}
    return api.post(reverse("api:v1:me-bookings"), body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_call_that_moves_money_without_a_key_is_refused(api, alice_with_budget, course):
    api.force_authenticate(alice_with_budget)
    response = api.post(
        reverse("api:v1:me-bookings"),
        {"course": course.pk, "work_related": True, "password": TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert not Booking.objects.exists()


def test_booking_by_api_reserves_and_a_replay_returns_the_first_answer(
    api, alice_with_budget, course
):
    api.force_authenticate(alice_with_budget)
    first = book(api, course, "boek-1")
    assert first.status_code == 201, first.json()
    replay = book(api, course, "boek-1")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    assert selectors.account_summary(worker=alice_with_budget).available == Decimal("200.00")


def test_the_same_key_with_another_body_is_a_422(api, alice_with_budget, course):
    api.force_authenticate(alice_with_budget)
    book(api, course, "boek-1")
    other = factories.CourseFactory(price=Decimal("10.00"))
    response = book(api, other, "boek-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_conflict"
    assert Booking.objects.count() == 1


def test_booking_needs_a_fresh_confirmation(api, alice_with_budget, course):
    api.force_authenticate(alice_with_budget)
    response = book(api, course, "k", password="fout")
    assert response.status_code == 403
    assert response.json()["code"] == "confirmation_failed"
    assert not Booking.objects.exists()


def test_too_little_budget_is_a_clear_error_and_moves_nothing(api, alice_with_budget):
    api.force_authenticate(alice_with_budget)
    dear = factories.CourseFactory(price=Decimal("900.00"))
    response = book(api, dear, "k")
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_funds"
    assert selectors.account_summary(worker=alice_with_budget).available == Decimal("500.00")


def test_cancel_by_api_releases_the_reservation_once(api, alice_with_budget, course):
    api.force_authenticate(alice_with_budget)
    booking_id = book(api, course, "k").json()["id"]
    url = reverse("api:v1:me-booking-cancel", args=[booking_id])
    assert api.post(url, HTTP_IDEMPOTENCY_KEY="c").status_code == 200
    assert api.post(url, HTTP_IDEMPOTENCY_KEY="c").status_code == 200
    assert Transfer.objects.filter(kind="release").count() == 1
    assert selectors.account_summary(worker=alice_with_budget).available == Decimal("500.00")
    assert_invariants_hold()


def test_another_worker_cannot_cancel_or_list_my_booking(api, alice_with_budget, bob, course):
    api.force_authenticate(alice_with_budget)
    booking_id = book(api, course, "k").json()["id"]
    api.force_authenticate(bob)
    response = api.post(
        reverse("api:v1:me-booking-cancel", args=[booking_id]), HTTP_IDEMPOTENCY_KEY="x"
    )
    assert response.status_code == 404
    assert course.title not in response.content.decode()
    assert api.get(reverse("api:v1:me-bookings")).json() == []


def test_an_employer_deposits_by_api_and_reads_the_batch(acme_api, alice):
    response = acme_api.post(
        reverse("api:v1:employer-deposits"),
        {"employee_number": "000101", "amount": "125.50", "source": "extra"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="dep-1",
    )
    assert response.status_code == 202, response.json()
    batch_id = response.json()["id"]
    again = acme_api.post(
        reverse("api:v1:employer-deposits"),
        {"employee_number": "000101", "amount": "125.50", "source": "extra"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="dep-1",
    )
    assert again.json()["id"] == batch_id
    assert DepositBatch.objects.count() == 1
    detail = acme_api.get(reverse("api:v1:employer-deposit-batch", args=[batch_id])).json()
    assert detail["line_count"] == 1
    assert detail["total"] == "125.50"


def test_a_batch_with_bad_lines_is_refused_naming_each_line(acme_api, alice):
    response = acme_api.post(
        reverse("api:v1:employer-deposit-batches"),
        {
            "lines": [
                {"employee_number": "000101", "amount": "10,00"},
                {"employee_number": "999999", "amount": "10,00"},
                {"employee_number": "000101", "amount": "-5"},
            ]
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="batch-1",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "batch_rejected"
    lines = {e["line"] for e in body["errors"]}
    assert {3, 4} <= lines
    assert not Transfer.objects.filter(kind="deposit").exists()


def test_a_valid_json_batch_is_accepted_for_processing(acme_api, alice):
    response = acme_api.post(
        reverse("api:v1:employer-deposit-batches"),
        {"lines": [{"employee_number": "000101", "amount": "20.00"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="batch-2",
    )
    assert response.status_code == 202, response.json()
    assert response.json()["status"] in ("confirmed", "running", "done")


def test_another_employer_gets_404_for_my_batch(acme_api, bouw_api, alice):
    batch_id = acme_api.post(
        reverse("api:v1:employer-deposits"),
        {"employee_number": "000101", "amount": "10.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="d",
    ).json()["id"]
    response = bouw_api.get(reverse("api:v1:employer-deposit-batch", args=[batch_id]))
    assert response.status_code == 404
    assert "10.00" not in response.content.decode()


def test_the_new_employer_registers_a_hire_and_the_account_and_former_job_stay(
    bouw_api, acme, bouw, alice_with_budget
):
    response = bouw_api.post(
        reverse("api:v1:employer-job-changes"),
        {"email": "alice@example.nl", "employee_number": "B-1", "start_date": "2026-12-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert alice_with_budget.employments.get(employer=bouw).start_date.isoformat() == "2026-12-01"
    # Acme ends its own employment itself (employments/end/); Bouw's key cannot.
    assert alice_with_budget.employments.get(employer=acme).end_date is None
    assert selectors.account_summary(worker=alice_with_budget).available == Decimal("500.00")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_calls_with_one_key_have_one_effect(alice, acme):
    funder = factories.FunderFactory(employer=acme)
    fund("1000.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("500.00"), idempotency_key="d"
    )
    course = factories.CourseFactory(price=Decimal("100.00"), capacity=50)
    key = str(uuid.uuid4())
    barrier = threading.Barrier(20)
    results: list = [None] * 20

    def call(i):
        try:
            client = APIClient()
            client.force_authenticate(alice)
            barrier.wait()
            results[i] = book(client, course, key)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    assert Booking.objects.count() == 1
    assert Transfer.objects.filter(kind="reservation").count() == 1
    assert selectors.account_summary(worker=alice).available == Decimal("400.00")
    assert_invariants_hold()
