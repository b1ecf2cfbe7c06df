"""How the ledger's hot rows are stored: spending updates a tranche and the balances in place.

PostgreSQL updates a row in place (HOT) only when no indexed column changes and its page has
room. Then it writes no index entries; otherwise it writes one into every index of the table.
The counters below are PostgreSQL's own for the current transaction (the test's).
"""

from decimal import Decimal

import pytest
from django.db import connection

from leerrekening import ledger
from leerrekening.models import Tranche
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db

D = Decimal


def updates_of(table: str) -> tuple[int, int]:
    """(row updates, of which in place) in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass),"
            "       pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [table, table],
        )
        return cursor.fetchone()


def test_spending_and_releasing_update_tranches_and_balances_in_place(funder, alice, provider):
    fund("1000.00", funder=funder)
    ledger.deposit_create(funder=funder, worker=alice, amount=D("500.00"), idempotency_key="d1")
    tranches_before = updates_of("leerrekening_tranche")
    accounts_before = updates_of("leerrekening_ledgeraccount")

    for i in range(5):
        reservation = ledger.reservation_create(
            worker=alice, provider=provider, amount=D("40.00"), idempotency_key=f"r{i}"
        )
        ledger.reservation_void(reservation=reservation, idempotency_key=f"v{i}")

    tranches, tranches_in_place = (
        a - b for a, b in zip(updates_of("leerrekening_tranche"), tranches_before, strict=True)
    )
    accounts, accounts_in_place = (
        a - b
        for a, b in zip(updates_of("leerrekening_ledgeraccount"), accounts_before, strict=True)
    )
    assert tranches == 10  # one per reservation and one per void
    assert tranches_in_place == tranches
    assert accounts == 20  # the worker's account and the escrow, both ways
    assert accounts_in_place == accounts
    assert_invariants_hold()


def test_a_tranche_is_spendable_while_money_is_left_in_it(funder, alice, provider):
    fund("1000.00", funder=funder)
    ledger.deposit_create(funder=funder, worker=alice, amount=D("100.00"), idempotency_key="d1")
    tranche = Tranche.objects.get(account__worker=alice)
    assert tranche.spendable

    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("100.00"), idempotency_key="all"
    )
    tranche.refresh_from_db()
    assert (tranche.remaining, tranche.spendable) == (D("0.00"), False)
    with pytest.raises(ledger.InsufficientFunds):
        ledger.reservation_create(
            worker=alice, provider=provider, amount=D("0.01"), idempotency_key="more"
        )

    ledger.reservation_void(reservation=reservation, idempotency_key="back")
    tranche.refresh_from_db()
    assert (tranche.remaining, tranche.spendable) == (D("100.00"), True)
    ledger.reservation_create(
        worker=alice, provider=provider, amount=D("100.00"), idempotency_key="again"
    )
    assert_invariants_hold()
