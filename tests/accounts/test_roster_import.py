"""An employer's roster: starting and ending employments, and importing it from CSV."""

from __future__ import annotations

import datetime
import io

import pytest

from accounts.models import Employment, User
from accounts.roster import roster_import
from accounts.services import (
    EmploymentOverlap,
    InvalidEndDate,
    employment_end,
    employment_start,
)
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "personeelsnummer;email;naam;begindatum;einddatum\r\n"


def run_import(employer, by, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return roster_import(employer=employer, stream=io.BytesIO(data), by=by)


def test_job_change_keeps_the_worker_account(acme, bouw, alice):
    first = alice.employments.get()
    employment_end(employment=first, end_date=datetime.date(2026, 3, 31))
    employment_start(
        worker=alice, employer=bouw, employee_number="0777", start_date=datetime.date(2026, 4, 1)
    )
    alice.refresh_from_db()
    assert alice.is_active
    assert alice.is_worker
    assert list(alice.employments.order_by("start_date").values_list("employer", "end_date")) == [
        (acme.pk, datetime.date(2026, 3, 31)),
        (bouw.pk, None),
    ]


def test_ending_every_employment_leaves_the_person_in_place(acme, alice):
    employment_end(employment=alice.employments.get(), end_date=datetime.date(2026, 1, 31))
    assert User.objects.filter(pk=alice.pk, is_active=True).exists()


def test_overlapping_employment_at_the_same_employer_is_refused(acme, alice):
    with pytest.raises(EmploymentOverlap):
        employment_start(
            worker=alice, employer=acme, employee_number="x", start_date=datetime.date(2026, 1, 1)
        )
    assert alice.employments.count() == 1


def test_end_date_before_start_is_refused(acme, alice):
    with pytest.raises(InvalidEndDate):
        employment_end(employment=alice.employments.get(), end_date=datetime.date(2019, 12, 31))


def test_an_ended_employment_cannot_be_extended_by_ending_it_later(acme, alice):
    employment = alice.employments.get()
    employment_end(employment=employment, end_date=datetime.date(2026, 1, 31))
    with pytest.raises(InvalidEndDate):
        employment_end(employment=employment, end_date=datetime.date(2026, 6, 30))


def test_import_creates_new_workers_and_employments(acme, hanna, alice):
    result = run_import(
        acme,
        hanna,
        "\ufeff" + HEADER + "000201;Nina@Example.nl;Nina Nieuw;01-02-2026;\r\n"
        "000202;omar@example.nl;Omar Oud;2025-05-01;31-12-2025\r\n",
    )
    assert result.applied, result.errors
    assert (result.employments_created, result.users_created) == (2, 2)
    nina = User.objects.get(email="nina@example.nl")
    assert not nina.has_usable_password()
    assert nina.full_name == "Nina Nieuw"
    assert nina.is_worker
    job = nina.employments.get()
    assert (job.employer, job.employee_number, job.start_date, job.end_date) == (
        acme,
        "000201",
        datetime.date(2026, 2, 1),
        None,
    )
    omar_job = Employment.objects.get(worker__email="omar@example.nl")
    assert omar_job.end_date == datetime.date(2025, 12, 31)


def test_import_links_an_existing_account_by_email_whatever_the_capitals(acme, bouw, hanna, bob):
    result = run_import(acme, hanna, HEADER + "5;BOB@example.nl;Bob B.;01-01-2026;\r\n")
    assert result.applied, result.errors
    assert result.users_created == 0
    bob.refresh_from_db()
    assert bob.full_name == "Bob Bakker"  # an employer does not rename a person
    assert bob.employments.filter(employer=acme, employee_number="5").exists()


def test_import_ends_an_existing_employment(acme, hanna, alice):
    result = run_import(
        acme, hanna, HEADER + "000101;alice@example.nl;Alice;01-01-2020;30-06-2026\r\n"
    )
    assert result.applied, result.errors
    assert result.employments_ended == 1
    assert alice.employments.get().end_date == datetime.date(2026, 6, 30)


def test_importing_the_same_roster_twice_changes_nothing(acme, hanna, alice):
    text = (
        HEADER
        + "000101;alice@example.nl;Alice;01-01-2020;\r\n000301;pia@example.nl;Pia;01-01-2026;\r\n"
    )
    assert run_import(acme, hanna, text).applied
    again = run_import(acme, hanna, text)
    assert again.applied
    assert (again.employments_created, again.unchanged) == (0, 2)
    assert Employment.objects.filter(employer=acme).count() == 2


def test_import_is_all_or_nothing(acme, hanna):
    result = run_import(
        acme,
        hanna,
        HEADER + "1;een@example.nl;Een;01-01-2026;\r\n"
        "2;geen-adres;Twee;01-01-2026;\r\n"
        "3;drie@example.nl;Drie;31-02-2026;\r\n"
        "4;vier@example.nl;;01-01-2026;\r\n"
        "5;vijf@example.nl;Vijf;01-06-2026;01-01-2026\r\n",
    )
    assert not result.applied
    assert [(e.line_number, e.code) for e in result.errors] == [
        (3, "invalid_email"),
        (4, "invalid_date"),
        (5, "missing_column"),
        (6, "invalid_end_date"),
    ]
    assert not User.objects.filter(email="een@example.nl").exists()
    assert not Employment.objects.filter(employer=acme).exists()


def test_overlap_with_the_current_roster_is_a_line_error_not_a_crash(acme, hanna, alice):
    result = run_import(
        acme,
        hanna,
        HEADER
        + "9;nieuw@example.nl;Nieuw;01-01-2026;\r\n000999;alice@example.nl;Alice;01-03-2026;\r\n",
    )
    assert [(e.line_number, e.code) for e in result.errors] == [(3, "overlap")]
    assert "alice@example.nl" in result.errors[0].message
    assert not User.objects.filter(email="nieuw@example.nl").exists()


def test_overlap_within_the_file_names_the_other_line(acme, hanna):
    result = run_import(
        acme,
        hanna,
        HEADER + "1;x@example.nl;X;01-01-2026;\r\n2;x@example.nl;X;01-06-2026;\r\n",
    )
    assert [(e.line_number, e.code) for e in result.errors] == [(3, "overlap")]
    assert "regel 2" in result.errors[0].message


def test_rehire_after_an_ended_employment_is_allowed(acme, hanna, alice):
    result = run_import(
        acme,
        hanna,
        HEADER + "000101;alice@example.nl;Alice;01-01-2020;31-12-2024\r\n"
        "000555;alice@example.nl;Alice;01-01-2026;\r\n",
    )
    assert result.applied, result.errors
    assert alice.employments.count() == 2


def test_employee_number_of_someone_else_is_refused(acme, hanna, alice):
    result = run_import(acme, hanna, HEADER + "000101;ander@example.nl;Ander;01-01-2026;\r\n")
    assert [(e.line_number, e.code) for e in result.errors] == [(2, "employee_number_taken")]


def test_reopening_an_ended_employment_by_import_is_refused(acme, hanna):
    worker = factories.UserFactory(email="oud@example.nl")
    factories.EmploymentFactory(
        worker=worker, employer=acme, employee_number="7", end_date=datetime.date(2025, 1, 1)
    )
    result = run_import(acme, hanna, HEADER + "7;oud@example.nl;Oud;01-01-2020;\r\n")
    assert [(e.line_number, e.code) for e in result.errors] == [(2, "already_ended")]


def test_missing_column_is_reported_on_the_header(acme, hanna):
    result = run_import(acme, hanna, "personeelsnummer;email;naam\r\n1;a@example.nl;A\r\n")
    assert [(e.line_number, e.field, e.code) for e in result.errors] == [
        (1, "start_date", "missing_column")
    ]


def test_comma_separated_windows_1252_roster_is_read(acme, hanna):
    data = (
        "personeelsnummer,email,naam,begindatum\r\n0001,zoe@example.nl,Zoë Çelik,1-2-2026\r\n"
    ).encode("cp1252")
    result = run_import(acme, hanna, data)
    assert result.applied, result.errors
    assert User.objects.get(email="zoe@example.nl").full_name == "Zoë Çelik"
