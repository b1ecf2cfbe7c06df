"""The employer API changes only the key's own roster: a hire at the key's employer, an end of
the key's own employment. Another employer's employments are never ended or changed, and no
answer tells a key whether an e-mail address has an account or works elsewhere."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Employment, User
from leerrekening.deposits import applying
from leerrekening.models import Tranche
from tests import factories
from tests.support.deposits import quarterly_cao_schemes, run_schemes

pytestmark = pytest.mark.django_db

HIRE = "api:v1:employer-job-changes"
END = "api:v1:employer-employment-end"


@pytest.fixture
def acme_api(employer_api, acme):
    return employer_api(acme)


def _roster():
    """Every employment as it is in the database, to show that nothing changed."""
    return list(Employment.objects.order_by("pk").values())


def hire(client, **body):
    return client.post(reverse(HIRE), body, format="json")


def end(client, **body):
    return client.post(reverse(END), body, format="json")


def test_a_hire_of_an_unknown_email_answers_exactly_like_a_known_one(bouw_api, alice):
    nobody_yet = factories.UserFactory(email="zonderbaan@example.nl")  # known, employed nowhere
    answers = [
        hire(bouw_api, email="alice@example.nl", employee_number="B-1", start_date="2026-12-01"),
        hire(bouw_api, email=nobody_yet.email, employee_number="B-2", start_date="2026-12-01"),
        hire(
            bouw_api,
            email="Nieuw.Iemand@Example.nl",
            employee_number="B-3",
            start_date="2026-12-01",
            full_name="Nieuw Iemand",
        ),
    ]

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({frozenset(a.json()) for a in answers}) == 1
    for answer, number in zip(answers, ["B-1", "B-2", "B-3"], strict=True):
        assert answer.json()["employee_number"] == number
        assert answer.json()["start_date"] == "2026-12-01"
        assert answer.json()["end_date"] is None
    assert "Alice" not in answers[0].content.decode()
    new = User.objects.get(email="nieuw.iemand@example.nl")
    assert new.full_name == "Nieuw Iemand"
    assert not new.has_usable_password()
    assert new.employments.get().employee_number == "B-3"


def test_a_hire_finds_the_person_by_email_whatever_the_case(bouw_api, bouw, alice):
    response = hire(
        bouw_api,
        email="ALICE@Example.NL",
        employee_number="B-1",
        start_date="2026-12-01",
        full_name="Iemand Anders",
    )

    assert response.status_code == 201, response.json()
    assert User.objects.filter(email__iexact="alice@example.nl").count() == 1
    alice.refresh_from_db()
    assert alice.full_name == "Alice Aalbers"  # full_name is for new people only
    assert alice.employments.get(employer=bouw).employee_number == "B-1"


def test_a_hire_never_changes_another_employers_employment_even_when_named(
    bouw_api, acme, bouw, alice
):
    acme_roster = list(Employment.objects.filter(employer=acme).values())

    response = hire(
        bouw_api,
        email="alice@example.nl",
        from_employer_kvk=acme.kvk_number,  # what old clients send: ignored
        employee_number="B-1",
        start_date="2026-12-01",
    )

    assert response.status_code == 201, response.json()
    assert list(Employment.objects.filter(employer=acme).values()) == acme_roster
    assert acme.name not in response.content.decode()
    assert alice.employments.count() == 2


def test_an_overlap_at_the_keys_own_employer_is_a_409(acme_api, alice):
    before = _roster()

    response = hire(
        acme_api, email="alice@example.nl", employee_number="X", start_date="2026-12-01"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "employment_overlap"
    assert _roster() == before


def test_a_hire_without_employee_number_is_refused_by_field_and_changes_nothing(bouw_api, alice):
    before, people = _roster(), User.objects.count()

    response = hire(bouw_api, email="nieuw@example.nl", start_date="2026-12-01")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["employee_number"]
    assert _roster() == before
    assert User.objects.count() == people


def test_an_employer_ends_its_own_employment_and_the_answer_says_the_end_date(acme_api, alice):
    response = end(acme_api, employee_number="000101", end_date="2026-11-30")

    assert response.status_code == 200, response.json()
    assert response.json()["end_date"] == "2026-11-30"
    assert response.json()["employee_number"] == "000101"
    assert alice.employments.get().end_date == datetime.date(2026, 11, 30)


def test_an_employer_cannot_end_another_employers_employment(bouw_api, acme, alice):
    before = _roster()

    response = end(bouw_api, employee_number="000101", end_date="2026-11-30")  # Acme's real one

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _roster() == before
    content = response.content.decode()
    for secret in ("000101", "alice", "Alice", acme.name, acme.kvk_number):
        assert secret not in content
    # The same answer as for a number that exists nowhere: nothing to learn from it.
    assert end(bouw_api, employee_number="999999", end_date="2026-11-30").json() == response.json()


def test_with_one_employee_number_at_two_employers_only_the_keys_own_is_ended(
    bouw_api, acme, bouw, alice
):
    bart = factories.EmploymentFactory(employer=bouw, employee_number="000101")

    response = end(bouw_api, employee_number="000101", end_date="2026-11-30")

    assert response.status_code == 200, response.json()
    assert response.json()["employment"] == bart.pk
    bart.refresh_from_db()
    assert bart.end_date == datetime.date(2026, 11, 30)
    assert alice.employments.get(employer=acme).end_date is None


def test_an_end_before_the_start_is_refused_by_field_and_changes_nothing(acme_api, alice):
    before = _roster()

    response = end(acme_api, employee_number="000101", end_date="2019-12-31")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_end_date"
    assert list(body["fields"]) == ["end_date"]
    assert body["message"]
    assert _roster() == before


def test_the_same_end_sent_again_answers_as_before_and_changes_nothing(acme_api, alice):
    first = end(acme_api, employee_number="000101", end_date="2026-11-30")
    before = _roster()

    again = end(acme_api, employee_number="000101", end_date="2026-11-30")  # a payroll retry

    assert again.status_code == 200
    assert again.json() == first.json()
    assert _roster() == before


def test_an_employment_cannot_be_reopened_or_extended_by_ending_it_later(acme_api, alice):
    end(acme_api, employee_number="000101", end_date="2026-11-30")

    response = end(acme_api, employee_number="000101", end_date="2027-06-30")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_end_date"
    assert alice.employments.get().end_date == datetime.date(2026, 11, 30)


def test_an_end_without_employee_number_is_refused_by_field(acme_api, alice):
    before = _roster()

    response = end(acme_api, end_date="2026-11-30")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["employee_number"]
    assert _roster() == before


def test_a_worker_session_cannot_end_an_employment(alice):
    client = APIClient()
    client.force_authenticate(alice)

    response = end(client, employee_number="000101", end_date="2026-11-30")

    assert response.status_code == 403
    assert alice.employments.get().end_date is None


def test_a_job_change_by_two_calls_stops_the_old_schemes_and_begins_the_new(
    monkeypatch, acme_api, bouw_api, acme, bouw, alice
):
    monkeypatch.setattr(applying.DEPOSIT_BATCHES, "enqueue", lambda batch_id: True)
    quarterly_cao_schemes(acme, bouw)

    run_schemes(datetime.date(2026, 4, 1))  # Q2: Acme only
    assert (
        hire(
            bouw_api, email="alice@example.nl", employee_number="B-7", start_date="2026-07-01"
        ).status_code
        == 201
    )
    assert end(acme_api, employee_number="000101", end_date="2026-06-30").status_code == 200
    run_schemes(datetime.date(2026, 7, 1))  # Q3: Bouw pays, Acme no longer

    funders = list(
        Tranche.objects.filter(account__worker=alice)
        .order_by("id")
        .values_list("funder__employer__name", flat=True)
    )
    assert funders == [acme.name, bouw.name]
