"""`manage.py ledger_check`: says what it checked, exits 0 when all holds, non-zero naming what broke."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from leerrekening import ledger
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(acme, alice):
    funder = factories.FunderFactory(employer=acme)
    fund("500.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("200.00"), idempotency_key="d"
    )
    ledger.reservation_create(
        worker=alice,
        provider=factories.ProviderFactory(),
        amount=Decimal("50.00"),
        idempotency_key="r",
    )
    return funder


def test_ledger_check_reports_each_invariant_with_counts_and_passes(books, capsys):
    call_command("ledger_check")
    out = capsys.readouterr().out
    assert out.count("ok ") == 7
    assert "sum of all balances is zero (checked 5)" in out
    assert "All 7 ledger invariants hold." in out


def corrupt(sql: str, params=None):
    """Break the books behind the triggers' back, as only a superuser with DDL rights could."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # skips ordinary triggers
        try:
            cursor.execute(sql, params or [])
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_ledger_check_fails_naming_a_balance_that_does_not_match_its_transfers(books, alice):
    corrupt(
        "UPDATE leerrekening_ledgeraccount SET balance = balance + 1 WHERE worker_id = %s",
        [alice.pk],
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("ledger_check")
    message = str(excinfo.value)
    assert "1. sum of all balances is zero" in message
    assert "2. every stored balance equals the sum of its transfers" in message
    assert "6. tranche remainders" in message
    assert "5. every reservation" not in message


def test_ledger_check_fails_naming_a_reservation_settled_twice(books):
    corrupt(
        "UPDATE leerrekening_reservation SET status = 'posted', settled_at = now(),"
        " settle_transfer_id = reserve_transfer_id"
    )
    with pytest.raises(CommandError, match=r"5\. every reservation is open, posted or voided"):
        call_command("ledger_check")


def test_ledger_check_beat_task_logs_an_error_when_broken(books, alice, caplog):
    from leerrekening.tasks import ledger_check_run

    assert ledger_check_run.run() is True
    corrupt(
        "UPDATE leerrekening_tranche SET remaining = remaining - 1 WHERE account_id ="
        " (SELECT id FROM leerrekening_ledgeraccount WHERE worker_id = %s)",
        [alice.pk],
    )
    assert ledger_check_run.run() is False
    assert any(
        r.levelname == "ERROR" and "tranche remainders" in r.getMessage() for r in caplog.records
    )


def test_a_tranche_movement_for_its_own_deposit_from_before_2026_12_is_history(books, alice):
    """Tranches made before December 2026 also carry a movement for their deposit; it changes
    nothing, and ledger_check accepts it when it equals the deposit."""
    corrupt(
        "INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)"
        " SELECT deposit_id, id, amount FROM leerrekening_tranche"
    )
    call_command("ledger_check")


def test_ledger_check_fails_naming_an_own_deposit_movement_that_differs_from_the_deposit(books):
    corrupt(
        "INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)"
        " SELECT deposit_id, id, amount + 1 FROM leerrekening_tranche"
    )
    with pytest.raises(CommandError, match=r"6\. tranche remainders"):
        call_command("ledger_check")
