"""Job change (overstap) and takeover (overname): employments move, the account stays whole."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest

from accounts.models import Employment
from accounts.services import EmploymentOverlap
from leerrekening import ledger
from leerrekening.deposits import applying
from leerrekening.models import TakeoverBatch, Tranche
from leerrekening.services import job_changes
from tests.support.deposits import quarterly_cao_schemes, roster, run_schemes
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = pytest.mark.django_db

JULY = datetime.date(2026, 7, 1)


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        applying.DEPOSIT_BATCHES, "enqueue", lambda batch_id: calls.append(batch_id) or True
    )
    monkeypatch.setattr(job_changes.TAKEOVER_BATCHES, "enqueue", lambda i: calls.append(i) or True)
    return calls


def test_a_job_change_keeps_the_account_and_every_tranche(acme, bouw, alice):
    funder = fund("1000.00", employer=acme)
    ledger.deposit_create(
        funder=funder,
        worker=alice,
        amount=Decimal("400.00"),
        idempotency_key="acme-cao",
        ends_on=datetime.date(2030, 1, 1),
    )
    account = ledger.account_for_worker(worker=alice)
    before = list(Tranche.objects.filter(account=account).values("id", "amount", "remaining"))

    new = job_changes.job_change(
        employment=alice.employments.get(employer=acme),
        to_employer=bouw,
        employee_number="B-17",
        start_date=JULY,
    )

    old = Employment.objects.get(worker=alice, employer=acme)
    assert old.end_date == datetime.date(2026, 6, 30)
    assert (new.employer, new.start_date, new.end_date) == (bouw, JULY, None)
    assert ledger.account_for_worker(worker=alice).pk == account.pk
    assert balance_of(account) == Decimal("400.00")
    assert list(Tranche.objects.filter(account=account).values("id", "amount", "remaining")) == (
        before
    )
    assert_invariants_hold()


def test_a_refused_job_change_changes_nothing(acme, bouw, alice):
    Employment.objects.create(
        worker=alice, employer=bouw, employee_number="X", start_date=datetime.date(2026, 1, 1)
    )
    with pytest.raises(EmploymentOverlap):
        job_changes.job_change(
            employment=alice.employments.get(employer=acme),
            to_employer=bouw,
            employee_number="B-17",
            start_date=JULY,
        )
    assert alice.employments.get(employer=acme).end_date is None


def test_after_a_job_change_the_old_schemes_stop_and_the_new_ones_begin(acme, bouw, alice):
    quarterly_cao_schemes(acme, bouw)

    run_schemes(datetime.date(2026, 4, 1))  # Q2 at Acme
    job_changes.job_change(
        employment=alice.employments.get(), to_employer=bouw, employee_number="7", start_date=JULY
    )
    run_schemes(JULY)  # Q3: Bouw pays, Acme does not
    run_schemes(datetime.date(2026, 10, 1))  # Q4: Bouw again
    funders = list(
        Tranche.objects.filter(account__worker=alice)
        .order_by("id")
        .values_list("funder__employer__name", flat=True)
    )
    assert funders == [acme.name, bouw.name, bouw.name]
    assert balance_of(ledger.account_for_worker(worker=alice)) == Decimal("300.00")


def test_a_takeover_moves_every_employee_exactly_once_with_a_report(acme, bouw):
    employments = roster(acme, 7)
    employments[6].end_date = datetime.date(2026, 6, 30)  # leaves before the takeover
    employments[6].save()
    batch = job_changes.takeover_create(
        from_employer=acme, to_employer=bouw, transfer_date=JULY, by=None
    )
    assert batch.line_count == 6

    assert job_changes.takeover_apply(batch_id=batch.pk, chunk_size=4) == "done"
    assert job_changes.takeover_apply(batch_id=batch.pk, chunk_size=4) == "idle"
    # Forced back to the start, the lines already moved are not moved again.
    TakeoverBatch.objects.filter(pk=batch.pk).update(status="running", last_line=0, lines_done=0)
    job_changes.takeover_apply(batch_id=batch.pk, chunk_size=4)

    batch.refresh_from_db()
    assert (batch.status, batch.moved, batch.skipped) == ("done", 6, 0)
    assert Employment.objects.filter(employer=bouw).count() == 6
    assert (
        Employment.objects.filter(employer=acme, end_date=datetime.date(2026, 6, 30)).count() == 7
    )
    out = io.StringIO()
    job_changes.write_takeover_report(batch=batch, out=out)
    assert out.getvalue().count("Overgezet") == 6


def test_a_takeover_skips_who_cannot_move_and_says_why(acme, bouw):
    employments = roster(acme, 2)
    Employment.objects.create(
        worker=employments[0].worker, employer=bouw, employee_number="al", start_date=JULY
    )
    batch = job_changes.takeover_create(
        from_employer=acme, to_employer=bouw, transfer_date=JULY, by=None
    )
    job_changes.takeover_apply(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.moved, batch.skipped) == (1, 1)
    skipped = batch.lines.get(outcome="skipped")
    assert "al in dienst" in skipped.message
    # The skipped worker's old job was not ended either: the line is one transaction.
    assert Employment.objects.get(pk=employments[0].pk).end_date is None


def test_a_takeover_needs_employees_and_two_employers(acme, bouw):
    with pytest.raises(job_changes.TakeoverError):
        job_changes.takeover_create(
            from_employer=acme, to_employer=acme, transfer_date=JULY, by=None
        )
    with pytest.raises(job_changes.TakeoverError):
        job_changes.takeover_create(
            from_employer=acme, to_employer=bouw, transfer_date=JULY, by=None
        )
