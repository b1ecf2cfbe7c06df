"""A deposit batch is checked completely against the roster before any money moves."""

from __future__ import annotations

import datetime
import io
import time
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection

from leerrekening.deposits.validation import validate_deposit_batch, write_validation_report
from tests import factories

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 1, 15)
PLENTY = Decimal("1000000.00")


def validate(data: str | bytes, employer, *, balance=PLENTY, **kwargs):
    if isinstance(data, str):
        data = data.encode()
    return validate_deposit_batch(
        io.BytesIO(data), employer=employer, on_date=ON, available_balance=balance, **kwargs
    )


def codes(validation) -> list[tuple[int | None, str]]:
    return [(e.line_number, e.code) for e in validation.errors]


def test_valid_batch_resolves_each_line_to_an_active_employment(acme, alice, amir):
    validation = validate(
        "\ufeffpersoneelsnummer;bedrag;bron;omschrijving\r\n000101;12,50;extra;Bonus\r\n000102;1.000,00;;\r\n",
        acme,
    )
    assert validation.is_valid
    assert validation.errors == []
    assert validation.total == Decimal("1012.50")
    first, second = validation.lines
    alice_job = alice.employments.get()
    assert (first.line_number, first.employment_id, first.worker_id) == (2, alice_job.pk, alice.pk)
    assert (first.amount, first.source, first.description) == (Decimal("12.50"), "extra", "Bonus")
    assert (second.line_number, second.worker_id, second.amount, second.source) == (
        3,
        amir.pk,
        Decimal("1000.00"),
        "cao",
    )


def test_leading_zeros_matter_when_matching_employee_numbers(acme, alice):
    validation = validate("personeelsnummer;bedrag\n101;5\n", acme)
    assert codes(validation) == [(2, "unknown_employee")]


def test_employee_of_another_employer_is_unknown_here(acme, bob):
    validation = validate("personeelsnummer;bedrag\n0042;5\n", acme)
    assert codes(validation) == [(2, "unknown_employee")]
    assert "0042" in validation.errors[0].message
    assert validation.lines == [] or len(validation.lines) == 0


def test_employment_that_ended_before_the_date_is_not_active(acme):
    factories.EmploymentFactory(
        employer=acme,
        employee_number="7",
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    factories.EmploymentFactory(
        employer=acme, employee_number="8", start_date=ON + datetime.timedelta(days=1)
    )
    validation = validate("personeelsnummer;bedrag\n7;5\n8;5\n", acme)
    assert codes(validation) == [(2, "employment_not_active"), (3, "employment_not_active")]
    assert "15-01-2026" in validation.errors[0].message


def test_job_change_deposit_goes_to_the_current_employment_only(acme):
    worker = factories.UserFactory()
    factories.EmploymentFactory(
        worker=worker, employer=acme, employee_number="9", end_date=datetime.date(2025, 6, 30)
    )
    current = factories.EmploymentFactory(
        worker=worker, employer=acme, employee_number="9", start_date=datetime.date(2025, 7, 1)
    )
    validation = validate("personeelsnummer;bedrag\n9;5\n", acme)
    assert validation.is_valid
    assert validation.lines[0].employment_id == current.pk


def test_duplicate_employee_number_reports_the_later_line_naming_the_first(acme, alice):
    validation = validate("personeelsnummer;bedrag\n000101;5\n000101;6\n", acme)
    assert codes(validation) == [(3, "duplicate_line")]
    assert "regel 2" in validation.errors[0].message
    assert not validation.is_valid


def test_one_bad_line_among_good_ones_makes_the_batch_invalid(acme, alice, amir):
    validation = validate("personeelsnummer;bedrag\n000101;5\n999;5\n000102;5\n", acme)
    assert not validation.is_valid
    assert codes(validation) == [(3, "unknown_employee")]
    assert len(validation.lines) == 2


def test_every_kind_of_bad_line_is_reported_with_its_line_number(acme, alice, amir):
    factories.EmploymentFactory(
        employer=acme, employee_number="old", end_date=datetime.date(2021, 1, 1)
    )
    data = (
        "personeelsnummer;bedrag\n"
        "000101;5\n"  # 2 good
        "nobody;5\n"  # 3
        "old;5\n"  # 4
        "000102;0\n"  # 5
        "000102;1,234\n"  # 6
        "000102;veel\n"  # 7
        "000101;5\n"  # 8 duplicate of 2
        "000102\n"  # 9 missing column
    )
    validation = validate(data, acme)
    assert codes(validation) == [
        (3, "unknown_employee"),
        (4, "employment_not_active"),
        (5, "amount_not_positive"),
        (6, "amount_too_precise"),
        (7, "amount_not_a_number"),
        (8, "duplicate_line"),
        (9, "missing_column"),
    ]


def test_total_above_the_prepaid_balance_is_one_error_with_both_amounts(acme, alice, amir):
    validation = validate(
        "personeelsnummer;bedrag\n000101;600\n000102;500,50\n", acme, balance=Decimal("1000.00")
    )
    assert codes(validation) == [(None, "total_above_balance")]
    message = validation.errors[0].message
    assert "€ 1.100,50" in message
    assert "€ 1.000,00" in message
    assert not validation.is_valid


def test_total_equal_to_the_balance_is_allowed(acme, alice, amir):
    validation = validate(
        "personeelsnummer;bedrag\n000101;600\n000102;400\n", acme, balance=Decimal("1000.00")
    )
    assert validation.is_valid


def test_too_large_file_is_refused(acme, alice):
    data = "personeelsnummer;bedrag\n" + "".join(f"{n};5\n" for n in range(50))
    validation = validate(data, acme, max_lines=10)
    assert (None, "file_too_large") in codes(validation)
    assert not validation.is_valid


def test_header_only_file_is_not_valid(acme):
    validation = validate("personeelsnummer;bedrag\n", acme)
    assert not validation.is_valid
    assert codes(validation) == [(None, "no_lines")]


def test_lookups_are_one_query_per_chunk(acme, alice, amir, django_assert_num_queries):
    data = "personeelsnummer;bedrag\n000101;5\n000102;5\nx;5\n"
    with django_assert_num_queries(2):
        validation = validate(data, acme, chunk_size=2)
    assert len(validation.lines) == 2


def test_report_is_excel_csv_with_escaped_formulas(acme):
    validation = validate("personeelsnummer;bedrag\n=HYPERLINK(1);5\n", acme)
    out = io.StringIO()
    write_validation_report(validation, out)
    text = out.getvalue()
    assert text.startswith("\ufeffregel;personeelsnummer;veld;reden\r\n")
    row = text.splitlines()[1]
    assert row.startswith("2;'=HYPERLINK(1);personeelsnummer;")
    assert "'=HYPERLINK" in row


def _roster_of(employer, size: int) -> None:
    # Set-based insert: creating 100,000 people through the ORM would dwarf what is measured.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH people AS (
                INSERT INTO accounts_user (password, is_superuser, email, full_name, is_worker,
                    is_ambassador, is_coordinator, is_staff, is_active, date_joined)
                SELECT '!', false, 'bulk' || n || '@example.nl', 'Werknemer ' || n, true,
                    false, false, false, true, now()
                FROM generate_series(1, %s) AS n
                RETURNING id, email
            )
            INSERT INTO accounts_employment (worker_id, employer_id, employee_number, start_date,
                end_date, created_at)
            SELECT id, %s, lpad(substring(email from 'bulk([0-9]+)@'), 7, '0'), '2020-01-01',
                NULL, now()
            FROM people
            """,
            [size, employer.pk],
        )


@pytest.mark.slow
def test_100000_lines_validate_fast_in_bounded_memory_with_chunked_lookups(
    acme, django_assert_max_num_queries
):
    size = 100_000
    _roster_of(acme, size)
    data = "personeelsnummer;bedrag;bron;omschrijving\r\n" + "".join(
        f"{n:07d};{n % 500 + 1},{n % 100:02d};cao;Storting 2026\r\n" for n in range(1, size + 1)
    )
    payload = data.encode()
    del data
    balance = Decimal("100000000.00")

    started = time.perf_counter()
    with django_assert_max_num_queries(size // 5_000 + 2):
        validation = validate_deposit_batch(
            io.BytesIO(payload), employer=acme, on_date=ON, available_balance=balance
        )
    seconds = time.perf_counter() - started
    del validation

    # Measured apart: tracemalloc itself slows Python down several times.
    stream = io.BytesIO(payload)
    tracemalloc.start()
    validation = validate_deposit_batch(
        stream, employer=acme, on_date=ON, available_balance=balance
    )
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert validation.is_valid, validation.errors[:3]
    assert len(validation.lines) == size
    print(
        f"\n{size} lines in {seconds:.2f}s = {size / seconds:,.0f} lines/s, peak {peak / 2**20:.1f} MiB"
    )
    assert peak < 30 * 2**20
    assert size / seconds >= 10_000
