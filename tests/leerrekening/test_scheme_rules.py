"""Scheme rules (CAO regelingen): every active employee, once per period, run by beat."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from leerrekening import ledger
from leerrekening.deposits import applying, schemes
from leerrekening.deposits import services as deposits
from leerrekening.models import DepositBatch, Tranche, Transfer
from tests.support.deposits import make_scheme, roster
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        applying.DEPOSIT_BATCHES, "enqueue", lambda batch_id: calls.append(batch_id) or True
    )
    return calls


def run_and_apply(today: datetime.date) -> list[DepositBatch]:
    batches = schemes.schemes_run_due(today=today)
    for batch in batches:
        applying.deposit_batch_apply(batch_id=batch.pk)
    return batches


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        ("year", datetime.date(2026, 1, 1), datetime.date(2026, 1, 1)),
        ("year", datetime.date(2027, 6, 30), datetime.date(2027, 1, 1)),
        ("quarter", datetime.date(2026, 3, 31), datetime.date(2026, 1, 1)),
        ("quarter", datetime.date(2026, 4, 1), datetime.date(2026, 4, 1)),
        ("month", datetime.date(2026, 12, 31), datetime.date(2026, 12, 1)),
        ("year", datetime.date(2025, 12, 31), None),
    ],
)
def test_the_period_containing_a_day(acme, period, day, expected):
    funder = fund("1.00", employer=acme)
    scheme = make_scheme(funder, acme, period=period)
    assert schemes.period_start_on(scheme=scheme, day=day) == expected


def test_every_active_employee_gets_the_amount_once_per_period(acme):
    funder = fund("100000.00", employer=acme)
    employments = roster(acme, 6)
    employments[5].end_date = datetime.date(2025, 12, 31)  # left before the period
    employments[5].save()
    make_scheme(funder, acme)

    first = run_and_apply(datetime.date(2026, 1, 1))
    # Beat fires again (same day, later in the year): the period's batch is found, not remade.
    again = run_and_apply(datetime.date(2026, 8, 15))

    assert [b.pk for b in first] == [b.pk for b in again]
    assert DepositBatch.objects.filter(kind="scheme").count() == 1
    tranches = Tranche.objects.filter(funder=funder)
    assert tranches.count() == 5
    assert {t.amount for t in tranches} == {Decimal("500.00")}
    assert {t.ends_on for t in tranches} == {datetime.date(2030, 12, 31)}
    assert balance_of(ledger.account_for_funder(funder=funder)) == Decimal("97500.00")

    run_and_apply(datetime.date(2027, 1, 1))  # the next period pays again
    assert Tranche.objects.filter(funder=funder).count() == 10
    assert_invariants_hold()


def test_a_remade_period_batch_would_still_pay_each_worker_once(acme):
    """Line keys name scheme, period and worker: even a second batch for the period replays."""
    funder = fund("100000.00", employer=acme)
    roster(acme, 3)
    scheme = make_scheme(funder, acme)
    batch = run_and_apply(datetime.date(2026, 1, 1))[0]
    keys = set(Transfer.objects.filter(kind="deposit").values_list("idempotency_key", flat=True))
    assert all(key.startswith(f"scheme:{scheme.pk}:2026-01-01:worker:") for key in keys)
    assert batch.line_key(line_number=1, worker_id=7) == f"scheme:{scheme.pk}:2026-01-01:worker:7"


def test_an_inactive_or_not_yet_started_scheme_pays_nothing(acme):
    funder = fund("100000.00", employer=acme)
    roster(acme, 2)
    make_scheme(funder, acme, active=False)
    make_scheme(funder, acme, starts_on=datetime.date(2027, 1, 1), name="Later")
    assert run_and_apply(datetime.date(2026, 6, 1)) == []
    assert not Transfer.objects.filter(kind="deposit").exists()


def test_a_scheme_without_enough_money_stops_and_pays_nobody_twice_after_a_top_up(acme):
    funder = fund("600.00", employer=acme)
    roster(acme, 2)
    make_scheme(funder, acme)
    batch = run_and_apply(datetime.date(2026, 1, 1))[0]
    batch.refresh_from_db()
    assert batch.status == "stopped"
    ledger.funding_record(funder=funder, amount=Decimal("400"), idempotency_key="top")
    deposits.deposit_batch_resume(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk)
    run_and_apply(datetime.date(2026, 2, 1))
    assert Tranche.objects.filter(funder=funder).count() == 2
    assert balance_of(ledger.account_for_funder(funder=funder)) == Decimal("0.00")
