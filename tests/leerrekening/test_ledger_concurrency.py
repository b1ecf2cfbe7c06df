"""Real concurrency: threads, each with its own PostgreSQL connection, hitting the same rows."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from leerrekening import ledger
from leerrekening.models import LedgerAccount, Reservation, Transfer
from tests import factories
from tests.support.concurrency import run_concurrently
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def setup(acme, alice):
    funder = factories.FunderFactory(employer=acme)
    fund("700.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("700.00"), idempotency_key="d"
    )
    return funder, factories.ProviderFactory()


def test_20_concurrent_reservations_of_100_on_700_let_exactly_7_through(setup, alice):
    _, provider = setup
    results = run_concurrently(
        20,
        lambda i: ledger.reservation_create(
            worker=alice, provider=provider, amount=Decimal("100.00"), idempotency_key=f"res-{i}"
        ),
    )
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome == {"Reservation": 7, "InsufficientFunds": 13}
    account = ledger.account_for_worker(worker=alice)
    assert balance_of(account) == Decimal("0.00")
    assert Reservation.objects.filter(status="open").count() == 7
    assert ledger.reserved_total() == Decimal("700.00")
    assert_invariants_hold()


def test_20_concurrent_requests_with_one_key_have_one_effect(setup, alice):
    _, provider = setup
    results = run_concurrently(
        20,
        lambda i: ledger.reservation_create(
            worker=alice, provider=provider, amount=Decimal("100.00"), idempotency_key="same"
        ),
    )
    assert all(isinstance(r, Reservation) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert balance_of(ledger.account_for_worker(worker=alice)) == Decimal("600.00")
    assert Transfer.objects.filter(kind="reservation").count() == 1
    assert_invariants_hold()


def test_concurrent_post_and_void_of_one_reservation_settle_it_exactly_once(setup, alice):
    _, provider = setup
    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=Decimal("300.00"), idempotency_key="r"
    )

    def settle(i):
        if i % 2:
            return ledger.reservation_post(reservation=reservation, idempotency_key=f"post-{i}")
        return ledger.reservation_void(reservation=reservation, idempotency_key=f"void-{i}")

    results = run_concurrently(10, settle)
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome == {"Reservation": 1, "ReservationAlreadySettled": 9}
    assert Transfer.objects.filter(kind__in=["payment", "release"]).count() == 1
    assert_invariants_hold()


def test_crossing_transfers_between_the_same_accounts_finish_without_deadlock(db):
    first = factories.FunderFactory()
    second = factories.FunderFactory()
    fund("1000.00", funder=first)
    fund("1000.00", funder=second)
    a = ledger.account_for_funder(funder=first)
    b = ledger.account_for_funder(funder=second)

    def shuttle(i):
        debit, credit = (a, b) if i % 2 else (b, a)
        for n in range(25):
            ledger.transfer_create(
                debit=debit,
                credit=credit,
                amount=Decimal("1.00"),
                kind=Transfer.Kind.CORRECTION,
                idempotency_key=f"x-{i}-{n}",
            )
        return "done"

    results = run_concurrently(16, shuttle)
    assert results == ["done"] * 16, [r for r in results if r != "done"]
    assert Transfer.objects.filter(kind="correction").count() == 16 * 25
    assert balance_of(a) + balance_of(b) == Decimal("2000.00")
    assert balance_of(a) == balance_of(b) == Decimal("1000.00")  # 8 threads each way
    assert_invariants_hold()


def test_concurrent_deposit_chunks_from_one_funder_never_overspend_it(db):
    funder = factories.FunderFactory()
    fund("1000.00", funder=funder)
    workers = [factories.UserFactory() for _ in range(40)]

    def chunk(i):
        lines = [
            ledger.DepositLine(
                worker_id=w.pk, amount=Decimal("50.00"), idempotency_key=f"c{i}-w{w.pk}"
            )
            for w in workers[i * 5 : i * 5 + 5]
        ]
        return ledger.deposits_create(funder=funder, lines=lines)

    results = run_concurrently(8, chunk)  # 8 chunks of EUR 250 on EUR 1,000: 4 fit
    outcome = Counter(type(r).__name__ for r in results)
    assert outcome == {"DepositResult": 4, "InsufficientFunds": 4}
    assert balance_of(ledger.account_for_funder(funder=funder)) == Decimal("0.00")
    assert LedgerAccount.objects.filter(kind="worker", balance=Decimal("50.00")).count() == 20
    assert connection.vendor == "postgresql"
    assert_invariants_hold()


def test_deposit_chunks_and_expiries_of_the_same_workers_never_deadlock(db):
    """A deposit chunk locks its learning accounts first and the funder's row last (the balance
    trigger); an expiry back to the same funder locks in the same order (LOCK_ORDER), so the two
    never wait for each other in a circle, though the funder's account has the lower id."""
    import datetime

    from leerrekening.models import Tranche

    funder = factories.FunderFactory()
    # The funder's account opened first: by id alone, an expiry would lock it before the worker's.
    fund("100000.00", funder=funder)
    workers = [factories.UserFactory() for _ in range(6)]
    ledger.accounts_for_workers(worker_ids=[w.pk for w in workers])
    rounds = 15
    past = datetime.date(2020, 1, 1)
    for n in range(rounds):
        for w in workers:
            ledger.deposit_create(
                funder=funder,
                worker=w,
                amount=Decimal("5.00"),
                idempotency_key=f"old-{n}-{w.pk}",
                ends_on=past,
            )
    to_expire = list(Tranche.objects.filter(ends_on=past).values_list("pk", flat=True))

    def work(i):
        if i % 2:  # expire this thread's share of the old tranches, one transaction each
            for tranche_id in to_expire[i // 2 :: 2]:
                ledger.tranche_expire(tranche_id=tranche_id)
            return "expired"
        for n in range(rounds):  # deposit chunks to all the same workers
            ledger.deposits_create(
                funder=funder,
                lines=[
                    ledger.DepositLine(
                        worker_id=w.pk,
                        amount=Decimal("1.00"),
                        idempotency_key=f"new-{i}-{n}-{w.pk}",
                    )
                    for w in workers
                ],
            )
        return "deposited"

    results = run_concurrently(4, work)
    assert sorted(results) == ["deposited", "deposited", "expired", "expired"], results
    assert not Tranche.objects.filter(ends_on=past, ended_at__isnull=True).exists()
    assert_invariants_hold()
