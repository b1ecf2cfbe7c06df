"""Applying a batch in chunks: planned once in line order, claimed by one worker each, applied
side by side by several workers with every line exactly once; keys computed by the database
exactly as DepositBatch.line_key names them."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from leerrekening import ledger
from leerrekening.deposits import applying, schemes
from leerrekening.deposits import services as deposits
from leerrekening.models import (
    DepositBatch,
    DepositBatchChunk,
    DepositScheme,
    TrancheMovement,
    Transfer,
)
from tests.support.deposits import roster, upload
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of


@pytest.fixture
def sent(monkeypatch):
    """Batches handed to Celery (recorded instead of sent to a broker)."""
    calls: list[tuple[int, bool]] = []
    monkeypatch.setattr(
        applying.DEPOSIT_BATCHES,
        "enqueue",
        lambda batch_id, fan_out=True: calls.append((batch_id, fan_out)),
    )
    return calls


def confirmed(acme, lines: int, amount: str = "10.00", funds: str = "100000.00") -> DepositBatch:
    funder = fund(funds, employer=acme)
    roster(acme, lines)
    batch = upload(funder, acme, [f"{i:06d};{amount}" for i in range(1, lines + 1)])
    assert batch.status == "validated", batch.errors[:3]
    return deposits.deposit_batch_confirm(batch=batch, by=None)


@pytest.mark.django_db
def test_chunks_are_planned_once_in_line_order_with_their_counts_and_totals(acme, sent):
    batch = confirmed(acme, 7, "2,50")

    applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=3)
    applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=2)  # planned already: kept

    chunks = list(batch.chunks.order_by("number"))
    # Line 1 is the header, so the file's deposits are lines 2..8.
    assert [(c.number, c.first_line, c.last_line, c.line_count) for c in chunks] == [
        (0, 2, 4, 3),
        (1, 5, 7, 3),
        (2, 8, 8, 1),
    ]
    assert [c.total for c in chunks] == [Decimal("7.50"), Decimal("7.50"), Decimal("2.50")]
    assert all(c.applied_at is not None for c in chunks)
    assert [c.lines_applied for c in chunks] == [3, 3, 1]
    assert sum(c.amount_applied for c in chunks) == Decimal("17.50")


@pytest.mark.django_db
def test_a_batch_of_several_chunks_asks_for_helpers_and_one_chunk_does_not(acme, sent):
    large = confirmed(acme, 5)
    sent.clear()
    applying.deposit_batch_apply(batch_id=large.pk, chunk_size=2, helpers=3)
    # Three chunks: at most two more workers can help, and they do not ask for helpers again.
    assert sent == [(large.pk, False), (large.pk, False)]

    sent.clear()
    small = upload(large.funder, acme, ["000001;5"])
    deposits.deposit_batch_confirm(batch=small, by=None)
    sent.clear()
    applying.deposit_batch_apply(batch_id=small.pk, chunk_size=2, helpers=3)
    assert sent == []


@pytest.mark.django_db
def test_the_database_names_each_line_as_line_key_does(acme, sent):
    upload_batch = confirmed(acme, 3)
    applying.deposit_batch_apply(batch_id=upload_batch.pk)
    funder = upload_batch.funder
    scheme = DepositScheme.objects.create(
        name="CAO",
        funder=funder,
        employer=acme,
        amount=Decimal("100.00"),
        period="year",
        starts_on=datetime.date(2026, 1, 1),
        valid_years=5,
        at_end="return",
        source="cao",
    )
    scheme_batch = schemes.scheme_period_run(scheme=scheme, period_start=datetime.date(2026, 1, 1))
    applying.deposit_batch_apply(batch_id=scheme_batch.pk)

    for batch in (upload_batch, scheme_batch):
        expected = {
            batch.line_key(line_number=line.line_number, worker_id=line.worker_id)
            for line in batch.lines.all()
        }
        made = set(
            Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:").values_list(
                "idempotency_key", flat=True
            )
        )
        assert made == expected
        assert len(made) == batch.line_count == 3


@pytest.mark.django_db
def test_a_deposit_opens_its_tranche_full_without_a_movement_of_its_own(acme, alice):
    funder = fund("100.00", employer=acme)
    transfer = ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("40.00"), idempotency_key="d1"
    )
    assert transfer.tranche.remaining == transfer.tranche.amount == Decimal("40.00")
    assert not TrancheMovement.objects.filter(transfer=transfer).exists()
    assert_invariants_hold()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_workers_applying_one_batch_side_by_side_apply_every_line_once(acme, sent):
    lines = 200
    batch = confirmed(acme, lines, "1.00")
    with connection.cursor() as cursor:
        # Each chunk takes a while, so every thread is busy with one while the others claim theirs.
        cursor.execute(
            "CREATE FUNCTION test_slow_chunk() RETURNS trigger AS $$"
            " BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$ LANGUAGE plpgsql;"
            " CREATE TRIGGER test_slow_chunk BEFORE UPDATE ON leerrekening_depositbatchchunk"
            " FOR EACH ROW EXECUTE FUNCTION test_slow_chunk();"
        )
    try:
        barrier = threading.Barrier(4)
        outcomes: list = [None] * 4

        def work(i):
            try:
                barrier.wait()
                outcomes[i] = applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=10)
            except Exception as exc:
                outcomes[i] = exc
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER test_slow_chunk ON leerrekening_depositbatchchunk;"
                " DROP FUNCTION test_slow_chunk();"
            )

    assert all(isinstance(o, applying.ApplyOutcome) for o in outcomes), outcomes
    assert sum(o.lines for o in outcomes) == lines  # no line applied by two threads
    assert sum(o.chunks for o in outcomes) == 20
    assert sum(1 for o in outcomes if o.chunks) > 1  # they did share the batch
    done = DepositBatch.objects.get(pk=batch.pk)
    assert (done.status, done.lines_applied, done.amount_applied) == ("done", lines, Decimal(lines))
    assert not DepositBatchChunk.objects.filter(batch=batch, applied_at__isnull=True).exists()
    transfers = Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:")
    assert transfers.count() == transfers.values("credit_account").distinct().count() == lines
    assert balance_of(ledger.account_for_funder(funder=batch.funder)) == Decimal("99800.00")
    assert_invariants_hold()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_when_side_by_side_chunks_outrun_the_funds_the_batch_stops_and_nothing_overspends(
    acme, sent
):
    # EUR 100 for 200 lines of EUR 1: the batch was confirmed, then most of the money went to a
    # single deposit elsewhere, so only some chunks fit.
    batch = confirmed(acme, 200, "1.00", funds="200.00")
    other = roster(acme, 1)[0]
    ledger.deposit_create(
        funder=batch.funder, worker=other.worker, amount=Decimal("100.00"), idempotency_key="x"
    )
    barrier = threading.Barrier(3)
    outcomes: list = [None] * 3

    def work(i):
        try:
            barrier.wait()
            outcomes[i] = applying.deposit_batch_apply(batch_id=batch.pk, chunk_size=30)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert all(isinstance(o, applying.ApplyOutcome) for o in outcomes), outcomes
    stopped = DepositBatch.objects.get(pk=batch.pk)
    assert stopped.status == "stopped"
    assert stopped.stop_code == "insufficient_funds"
    applied = Transfer.objects.filter(cause__startswith=f"deposit-batch:{batch.pk}:").count()
    assert applied == stopped.lines_applied == 90  # three chunks of 30 fit in EUR 100
    assert balance_of(ledger.account_for_funder(funder=batch.funder)) == Decimal("10.00")
    assert_invariants_hold()
