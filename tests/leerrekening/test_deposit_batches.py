"""Deposit batches in-process: validated completely, confirmed, applied exactly once."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from accounts.models import Employment
from leerrekening import ledger
from leerrekening.deposits import applying, reports
from leerrekening.deposits import errors as deposit_errors
from leerrekening.deposits import services as deposits
from leerrekening.models import (
    DepositBatch,
    DepositBatchChunk,
    DepositBatchLine,
    Tranche,
    Transfer,
)
from tests.support.deposits import TODAY, csv_file, roster, upload
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Batches handed to Celery (recorded instead of sent to a broker)."""
    calls: list[int] = []
    monkeypatch.setattr(
        applying.DEPOSIT_BATCHES, "enqueue", lambda batch_id: calls.append(batch_id) or True
    )
    return calls


@pytest.fixture
def acme_funded(acme):
    return fund("10000.00", employer=acme)


def test_a_valid_file_is_stored_as_validated_and_moves_no_money(acme, acme_funded, hanna, sent):
    roster(acme, 3)
    batch = upload(acme_funded, acme, ["000001;12,50", "1;100", "000003;7.25"])
    # "1" is not "000001": leading zeros count, so line 2 is an unknown employee.
    assert batch.status == DepositBatch.Status.REJECTED
    assert [e["line"] for e in batch.errors] == [3]
    assert batch.errors[0]["code"] == "unknown_employee"
    assert not batch.lines.exists()

    batch = upload(acme_funded, acme, ["000001;12,50", "000002;100", "000003;7.25"], crlf=True)
    assert batch.status == DepositBatch.Status.VALIDATED
    assert batch.line_count == 3
    assert batch.total == Decimal("119.75")
    assert list(batch.lines.values_list("employee_number", flat=True)) == [
        "000001",
        "000002",
        "000003",
    ]
    assert not Transfer.objects.filter(kind="deposit").exists()
    assert sent == []


def test_each_stored_line_keeps_its_amount_source_description_worker_and_number(
    acme, acme_funded, sent
):
    employments = roster(acme, 4)
    batch = upload(
        acme_funded,
        acme,
        [
            "000004;1.234,56;cao;Leerbudget 2026",
            "000002;0,01;extra;",
            '000001;99;verlof;"Verlof omgezet; ""met puntkomma"""',
            "000003;7.5;overheid;Leerbudget 2026",
        ],
        header="personeelsnummer;bedrag;bron;omschrijving",
    )
    assert batch.status == DepositBatch.Status.VALIDATED, batch.errors
    by_number = {e.employee_number: e for e in employments}
    stored = list(
        batch.lines.order_by("line_number").values_list(
            "line_number", "employee_number", "employment_id", "worker_id", "amount", "source",
            "description",
        )
    )  # fmt: skip
    expected = [
        (2, "000004", Decimal("1234.56"), Tranche.Source.CAO, "Leerbudget 2026"),
        (3, "000002", Decimal("0.01"), Tranche.Source.EXTRA, ""),
        (
            4,
            "000001",
            Decimal("99.00"),
            Tranche.Source.LEAVE_BONUS,
            'Verlof omgezet; "met puntkomma"',
        ),
        (5, "000003", Decimal("7.50"), Tranche.Source.GOVERNMENT, "Leerbudget 2026"),
    ]
    assert stored == [
        (line, number, by_number[number].pk, by_number[number].worker_id, amount, source, text)
        for line, number, amount, source, text in expected
    ]
    assert batch.total == Decimal("1341.07")


def test_an_employment_removed_while_the_file_is_checked_stores_nothing(
    acme, acme_funded, sent, monkeypatch
):
    employments = roster(acme, 2)
    checked = deposits.validate_deposit_batch

    def check_then_remove(*args, **kwargs):
        validation = checked(*args, **kwargs)
        Employment.objects.filter(pk=employments[1].pk).delete()  # another admin, meanwhile
        return validation

    monkeypatch.setattr(deposits, "validate_deposit_batch", check_then_remove)
    with pytest.raises(deposit_errors.RosterChanged):
        upload(acme_funded, acme, ["000001;10", "000002;20"])
    assert not DepositBatch.objects.exists()
    assert not DepositBatchLine.objects.exists()


def test_every_bad_line_is_reported_and_nothing_is_applied(acme, acme_funded, sent):
    employments = roster(acme, 3)
    employments[2].end_date = TODAY - datetime.timedelta(days=1)
    employments[2].save()
    batch = upload(
        acme_funded,
        acme,
        ["000001;0", "000002;12,505", "000003;10", "999999;abc", "000003;5", "000002"],
    )
    codes = [(e["line"], e["code"]) for e in batch.errors]
    assert codes == [
        (2, "amount_not_positive"),
        (3, "amount_too_precise"),
        (4, "employment_not_active"),
        (5, "amount_not_a_number"),
        (6, "duplicate_line"),
        (7, "missing_column"),
    ]
    assert batch.status == DepositBatch.Status.REJECTED
    with pytest.raises(deposit_errors.BatchNotConfirmable):
        deposits.deposit_batch_confirm(batch=batch, by=None)
    assert not Transfer.objects.filter(kind="deposit").exists()


def test_a_total_above_the_prepaid_balance_is_refused(acme, sent):
    funder = fund("100.00", employer=acme)
    roster(acme, 2)
    batch = upload(funder, acme, ["000001;60", "000002;60"])
    assert [e["code"] for e in batch.errors] == ["total_above_balance"]


def test_confirming_stores_the_batch_and_hands_it_to_celery_after_commit(
    acme, acme_funded, hanna, sent, django_capture_on_commit_callbacks
):
    roster(acme, 2)
    batch = upload(acme_funded, acme, ["000001;10", "000002;20"], by=hanna)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deposits.deposit_batch_confirm(batch=batch, by=hanna)
        assert sent == []  # not before the commit
    assert len(callbacks) == 1
    assert sent == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == DepositBatch.Status.CONFIRMED
    assert batch.confirmed_by == hanna
    with pytest.raises(deposit_errors.BatchNotConfirmable):
        deposits.deposit_batch_confirm(batch=batch, by=hanna)


def test_applying_moves_every_line_once_and_progress_matches_the_ledger(acme, acme_funded, sent):
    employments = roster(acme, 7)
    batch = upload(acme_funded, acme, [f"{i:06d};{i},50" for i in range(1, 8)])
    deposits.deposit_batch_confirm(batch=batch, by=None)

    outcome = applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=3)

    assert (outcome.status, outcome.chunks, outcome.lines) == ("done", 3, 7)
    batch.refresh_from_db()
    assert batch.status == DepositBatch.Status.DONE
    assert (batch.lines_applied, batch.amount_applied) == (7, Decimal("31.50"))
    tranches = Tranche.objects.filter(funder=acme_funded).order_by("amount")
    assert [t.amount for t in tranches] == [Decimal(f"{i}.50") for i in range(1, 8)]
    assert {t.ends_on for t in tranches} == {datetime.date(2031, 3, 1)}
    assert {t.source for t in tranches} == {"cao"}
    account = ledger.account_for_worker(worker=employments[0].worker)
    assert balance_of(account) == Decimal("1.50")
    assert balance_of(ledger.account_for_funder(funder=acme_funded)) == Decimal("9968.50")
    assert_invariants_hold()


def test_running_a_batch_again_applies_nothing_twice(acme, acme_funded, sent):
    roster(acme, 4)
    batch = upload(acme_funded, acme, [f"{i:06d};25" for i in range(1, 5)])
    deposits.deposit_batch_confirm(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=2)
    again = applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=2)
    assert (again.status, again.lines) == ("idle", 0)
    # Even a batch forced back to the start replays its lines instead of paying again.
    DepositBatch.objects.filter(pk=batch.pk).update(
        status="running", lines_applied=0, amount_applied=0
    )
    DepositBatchChunk.objects.filter(batch=batch).update(applied_at=None)
    replay = applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=2)
    assert (replay.status, replay.chunks, replay.lines) == ("done", 2, 0)  # moved nothing
    assert Transfer.objects.filter(kind="deposit").count() == 4
    assert balance_of(ledger.account_for_funder(funder=acme_funded)) == Decimal("9900.00")
    assert_invariants_hold()


def test_sources_from_the_file_become_tranche_sources(acme, acme_funded, sent):
    roster(acme, 4)
    batch = upload(
        acme_funded,
        acme,
        ["000001;10;cao", "000002;10;extra", "000003;10;verlof_bonus", "000004;10;overheid"],
        header="personeelsnummer;bedrag;bron",
    )
    deposits.deposit_batch_confirm(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk)
    assert sorted(Tranche.objects.values_list("source", flat=True)) == [
        "cao",
        "extra",
        "government",
        "leave_bonus",
    ]


def test_a_batch_stops_when_the_money_runs_out_and_resumes_after_a_top_up(acme, acme_funded, sent):
    roster(acme, 4)
    batch = upload(acme_funded, acme, [f"{i:06d};2000" for i in range(1, 5)])
    deposits.deposit_batch_confirm(batch=batch, by=None)
    # Meanwhile most of the balance goes elsewhere (e.g. a single deposit applied first).
    other = roster(acme, 1)[0]
    ledger.deposit_create(
        funder=acme_funded, worker=other.worker, amount=Decimal("5000.00"), idempotency_key="x"
    )

    outcome = applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=2)

    batch.refresh_from_db()
    assert outcome.status == "stopped"
    assert batch.status == DepositBatch.Status.STOPPED
    assert batch.lines_applied == 2
    assert "Stort bij" in batch.stop_message
    ledger.funding_record(funder=acme_funded, amount=Decimal("5000"), idempotency_key="top-up")
    deposits.deposit_batch_resume(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=2)
    batch.refresh_from_db()
    assert (batch.status, batch.lines_applied) == ("done", 4)
    assert Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:").count() == 4
    assert_invariants_hold()


def test_money_promised_to_a_confirmed_batch_is_not_available_to_the_next(acme, acme_funded, sent):
    roster(acme, 2)
    first = upload(acme_funded, acme, ["000001;6000"])
    deposits.deposit_batch_confirm(batch=first, by=None)
    assert deposits.funder_available(funder=acme_funded) == Decimal("4000.00")
    second = upload(acme_funded, acme, ["000002;6000"])
    assert [e["code"] for e in second.errors] == ["total_above_balance"]


def test_confirming_refuses_when_the_balance_no_longer_covers_the_batch(acme, acme_funded, sent):
    roster(acme, 2)
    first = upload(acme_funded, acme, ["000001;6000"])
    second = upload(acme_funded, acme, ["000002;6000"])  # validated before the first was confirmed
    deposits.deposit_batch_confirm(batch=first, by=None)
    with pytest.raises(deposit_errors.FundsTooLow):
        deposits.deposit_batch_confirm(batch=second, by=None)
    assert DepositBatch.objects.get(pk=second.pk).status == "validated"


def test_a_single_deposit_is_a_confirmed_batch_of_one_line(acme, acme_funded, alice, sent):
    employment = alice.employments.get()
    batch = deposits.deposit_single_create(
        funder=acme_funded,
        employment=employment,
        amount=Decimal("250.00"),
        source=Tranche.Source.EXTRA,
        deposit_date=TODAY,
        ends_on=None,
        at_end="keep",
        by=None,
    )
    assert (batch.kind, batch.status, batch.line_count) == ("single", "confirmed", 1)
    applying.deposit_batch_apply(batch_id=batch.pk)
    tranche = Tranche.objects.get(account__worker=alice)
    assert (tranche.amount, tranche.source, tranche.at_end) == (Decimal("250.00"), "extra", "keep")


def test_a_deposit_ends_at_most_five_years_after_it_is_made(acme, acme_funded, alice, sent):
    with pytest.raises(deposit_errors.EndDateTooLate):
        deposits.deposit_single_create(
            funder=acme_funded,
            employment=alice.employments.get(),
            amount=Decimal("10"),
            source="cao",
            deposit_date=TODAY,
            ends_on=datetime.date(2031, 3, 3),
            at_end="return",
            by=None,
        )
    with pytest.raises(deposit_errors.EndDateTooLate):
        deposits.ends_on_for(deposit_date=TODAY, valid_years=6)
    assert deposits.ends_on_for(deposit_date=TODAY, valid_years=5) == datetime.date(2031, 3, 1)


def test_a_single_deposit_for_someone_no_longer_employed_is_refused(acme, acme_funded, alice, sent):
    employment = alice.employments.get()
    employment.end_date = TODAY - datetime.timedelta(days=1)
    employment.save()
    with pytest.raises(deposit_errors.EmploymentNotActive):
        deposits.deposit_single_create(
            funder=acme_funded,
            employment=employment,
            amount=Decimal("10"),
            source="cao",
            deposit_date=TODAY,
            ends_on=None,
            at_end="return",
            by=None,
        )


def test_the_sweeper_sends_pending_batches_nobody_touched(acme, acme_funded, sent):
    roster(acme, 1)
    batch = upload(acme_funded, acme, ["000001;10"])
    batch = deposits.deposit_batch_confirm(batch=batch, by=None)
    sent.clear()
    assert applying.deposit_batches_sweep(stale_after=datetime.timedelta(minutes=2)) == []
    DepositBatch.objects.filter(pk=batch.pk).update(
        touched_at=batch.touched_at - datetime.timedelta(minutes=5)
    )
    assert applying.deposit_batches_sweep(stale_after=datetime.timedelta(minutes=2)) == [batch.pk]
    assert sent == [batch.pk]


def test_the_result_report_lists_every_line_with_its_transfer(acme, acme_funded, sent):
    roster(acme, 2)
    batch = upload(acme_funded, acme, ["000001;10", "000002;=1+1"])
    assert batch.status == "rejected"  # "=1+1" is not an amount
    out = io.StringIO()
    reports.write_batch_report(batch=batch, out=out)
    cells = [cell for row in out.getvalue().split("\r\n") for cell in row.split(";")]
    assert "=1+1" in out.getvalue()
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)  # no formulae

    batch = upload(acme_funded, acme, ["000001;10", "000002;20"])
    deposits.deposit_batch_confirm(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk)
    rows = list(reports.batch_report_rows(batch=batch))
    transfers = dict(
        Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:").values_list(
            "cause", "id"
        )
    )
    assert rows[1][0] == 2  # line 1 is the header
    assert rows[1][6] == "gestort"
    assert rows[1][7] == transfers[f"deposit-batch:{batch.pk}:line:2"]
    assert rows[2][3] == "20,00"


def test_a_file_with_a_bom_semicolons_and_decimal_commas_is_read(acme, acme_funded, sent):
    roster(acme, 2)
    stream = csv_file(["000001;1.234,56", "000002;12,5"], crlf=True)
    batch = deposits.deposit_batch_upload(
        funder=acme_funded,
        employer=acme,
        stream=stream,
        file_name="excel.csv",
        deposit_date=TODAY,
        ends_on=None,
        at_end="keep",
        by=None,
    )
    assert batch.status == "validated", batch.errors
    assert batch.total == Decimal("1247.06")


def test_the_database_refuses_a_line_that_pays_another_worker_than_its_employments(
    acme, acme_funded, sent
):
    employments = roster(acme, 2)
    batch = upload(acme_funded, acme, ["000001;10"])
    line = batch.lines.get()
    assert (line.employment_id, line.worker_id) == (employments[0].pk, employments[0].worker_id)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked now, not at the commit
    with pytest.raises(IntegrityError, match="batch_line_employment_worker_fk"):
        DepositBatchLine.objects.filter(pk=line.pk).update(worker=employments[1].worker)
