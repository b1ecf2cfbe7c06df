"""Hypothesis stateful test: random sequences of fundings, deposits, reservations, posts, voids,
expiries and retries with repeated keys. After every step all ledger invariants hold, and the
balances equal those of a plain-Python model of the rules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from leerrekening import ledger
from leerrekening.ledger_check import run_checks
from leerrekening.models import LedgerAccount, Tranche
from tests import factories
from tests.support.funding import fund

amounts = st.integers(min_value=1, max_value=40_000).map(lambda cents: Decimal(cents) / 100)
small_amounts = st.integers(min_value=1, max_value=30_000).map(lambda cents: Decimal(cents) / 100)
END_DATES = [
    None,
    datetime.date(2026, 12, 31),
    datetime.date(2027, 6, 30),
    datetime.date(2028, 1, 1),
]
EXPIRY_DAYS = [datetime.date(2027, 1, 1), datetime.date(2027, 7, 1), datetime.date(2028, 6, 1)]


@dataclass
class ModelTranche:
    key: str
    worker: int
    funder: int
    remaining: Decimal
    ends_on: datetime.date | None
    keep: bool
    ended: bool = False


class LedgerMachine(RuleBasedStateMachine):
    reservations = Bundle("reservations")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.today = timezone.localdate()
        self.funders = [factories.FunderFactory() for _ in range(2)]
        self.workers = [factories.UserFactory() for _ in range(3)]
        self.provider = factories.ProviderFactory()
        self.funder_balance = {f.pk: Decimal("0") for f in self.funders}
        self.tranches: list[ModelTranche] = []
        self.reserved: dict[str, list[tuple[ModelTranche, Decimal]]] = {}
        self.provider_balance = Decimal("0")
        self.calls: dict[str, tuple] = {}  # idempotency key -> what it was used for
        self.n = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    def worker_balance(self, worker_pk: int) -> Decimal:
        return sum((t.remaining for t in self.tranches if t.worker == worker_pk), Decimal("0"))

    def spendable(self, worker_pk: int) -> list[ModelTranche]:
        usable = [
            t
            for t in self.tranches
            if t.worker == worker_pk
            and t.remaining > 0
            and (t.ends_on is None or t.ends_on >= self.today or t.keep)
        ]
        far = datetime.date.max
        return sorted(usable, key=lambda t: (t.ends_on or far, self.tranches.index(t)))

    @initialize(
        first=st.lists(st.tuples(amounts, st.sampled_from(END_DATES), st.booleans()), max_size=4),
        second=st.lists(st.tuples(amounts, st.sampled_from(END_DATES), st.booleans()), max_size=4),
    )
    def start_with_funded_tranches(self, first, second):
        """Most sequences start with money in the accounts, so spending and expiry get exercised."""
        for funder in range(2):
            self.fund(funder, Decimal("5000.00"))
        for worker, tranches in enumerate([first, second]):
            for amount, ends_on, keep in tranches:
                self.deposit(worker % 2, worker, amount, ends_on, keep)

    @rule(funder=st.integers(0, 1), amount=amounts)
    def fund(self, funder, amount):
        f = self.funders[funder]
        fund(amount, funder=f, key=self.key())
        self.funder_balance[f.pk] += amount

    @rule(
        funder=st.integers(0, 1),
        worker=st.integers(0, 2),
        amount=amounts,
        ends_on=st.sampled_from(END_DATES),
        keep=st.booleans(),
    )
    def deposit(self, funder, worker, amount, ends_on, keep):
        f, w = self.funders[funder], self.workers[worker]
        key = self.key()
        at_end = Tranche.AtEnd.KEEP if keep else Tranche.AtEnd.RETURN_TO_FUNDER
        if self.funder_balance[f.pk] < amount:
            with pytest.raises(ledger.InsufficientFunds):
                ledger.deposit_create(
                    funder=f,
                    worker=w,
                    amount=amount,
                    idempotency_key=key,
                    ends_on=ends_on,
                    at_end=at_end,
                )
            return
        ledger.deposit_create(
            funder=f, worker=w, amount=amount, idempotency_key=key, ends_on=ends_on, at_end=at_end
        )
        self.calls[key] = ("deposit", f, w, amount, ends_on, at_end)
        self.funder_balance[f.pk] -= amount
        self.tranches.append(ModelTranche(key, w.pk, f.pk, amount, ends_on, keep))

    @rule(worker=st.integers(0, 2), amount=small_amounts, target=reservations)
    def reserve(self, worker, amount):
        w = self.workers[worker]
        key = self.key()
        usable = self.spendable(w.pk)
        if sum((t.remaining for t in usable), Decimal("0")) < amount:
            with pytest.raises(ledger.InsufficientFunds):
                ledger.reservation_create(
                    worker=w, provider=self.provider, amount=amount, idempotency_key=key
                )
            return None
        reservation = ledger.reservation_create(
            worker=w, provider=self.provider, amount=amount, idempotency_key=key
        )
        self.calls[key] = ("reserve", w, amount)
        taken, left = [], amount
        for t in usable:
            take = min(t.remaining, left)
            t.remaining -= take
            taken.append((t, take))
            left -= take
            if not left:
                break
        self.reserved[key] = taken
        return (key, reservation)

    @rule(item=consumes(reservations), post=st.booleans())
    def settle(self, item, post):
        if item is None:
            return
        key, reservation = item
        taken = self.reserved.pop(key)
        if post:
            ledger.reservation_post(reservation=reservation, idempotency_key=f"post-{key}")
            self.provider_balance += sum((a for _, a in taken), Decimal("0"))
        else:
            ledger.reservation_void(reservation=reservation, idempotency_key=f"void-{key}")
            for tranche, amount in taken:
                tranche.remaining += amount

    @rule(day=st.sampled_from(EXPIRY_DAYS))
    def expire(self, day):
        ledger.expire_tranches(today=day)
        for t in self.tranches:
            if not t.ended and t.ends_on is not None and t.ends_on < day:
                t.ended = True
                if not t.keep:
                    self.funder_balance[t.funder] += t.remaining
                    t.remaining = Decimal("0")

    @rule(data=st.data())
    def retry_a_deposit_with_the_same_key(self, data):
        deposits = [k for k, v in self.calls.items() if v[0] == "deposit"]
        if not deposits:
            return
        key = data.draw(st.sampled_from(deposits))
        _, f, w, amount, ends_on, at_end = self.calls[key]
        ledger.deposit_create(
            funder=f, worker=w, amount=amount, idempotency_key=key, ends_on=ends_on, at_end=at_end
        )  # replay: moves nothing
        with pytest.raises(ledger.IdempotencyConflict):
            ledger.deposit_create(
                funder=f, worker=w, amount=amount + Decimal("0.01"), idempotency_key=key
            )

    @rule(data=st.data())
    def retry_a_reservation_with_the_same_key(self, data):
        reservations = [k for k, v in self.calls.items() if v[0] == "reserve"]
        if not reservations:
            return
        key = data.draw(st.sampled_from(reservations))
        _, w, amount = self.calls[key]
        ledger.reservation_create(
            worker=w, provider=self.provider, amount=amount, idempotency_key=key
        )

    @invariant()
    def invariants_hold(self):
        broken = [f"{r.name}: {r.detail}" for r in run_checks() if not r.ok]
        assert broken == []

    @invariant()
    def tranche_remainders_match_the_model(self):
        stored = dict(
            Tranche.objects.filter(
                deposit__idempotency_key__in=[t.key for t in self.tranches]
            ).values_list("deposit__idempotency_key", "remaining")
        )
        assert stored == {t.key: t.remaining for t in self.tranches}

    @invariant()
    def balances_match_the_model(self):
        for f in self.funders:
            account = LedgerAccount.objects.filter(funder=f).first()
            assert (account.balance if account else Decimal("0")) == self.funder_balance[f.pk]
        for w in self.workers:
            account = LedgerAccount.objects.filter(worker=w).first()
            assert (account.balance if account else Decimal("0")) == self.worker_balance(w.pk)
        payable = LedgerAccount.objects.filter(provider=self.provider).first()
        assert (payable.balance if payable else Decimal("0")) == self.provider_balance


LedgerMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.slow
def test_random_ledger_operations_keep_every_invariant(db):
    LedgerMachine.TestCase().runTest()
