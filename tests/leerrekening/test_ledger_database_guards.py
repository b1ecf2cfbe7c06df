"""PostgreSQL itself refuses what would break the ledger, whatever code (or person) asks."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from leerrekening import ledger
from leerrekening.models import Reservation, Tranche, Transfer
from tests import factories
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def deposit(acme, alice):
    funder = factories.FunderFactory(employer=acme)
    fund("500.00", funder=funder)
    return ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("200.00"), idempotency_key="d"
    )


def refused(sql: str, params=None) -> str:
    with pytest.raises(DatabaseError) as excinfo, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params or [])
    return str(excinfo.value)


def test_updating_a_transfer_by_sql_is_refused(deposit):
    refused("UPDATE leerrekening_transfer SET amount = 1 WHERE id = %s", [deposit.pk])
    assert Transfer.objects.get(pk=deposit.pk).amount == Decimal("200.00")


def test_deleting_a_transfer_by_sql_is_refused(deposit):
    refused("DELETE FROM leerrekening_transfer WHERE id = %s", [deposit.pk])
    assert Transfer.objects.filter(pk=deposit.pk).exists()


def test_setting_a_balance_by_sql_is_refused(deposit, alice):
    message = refused(
        "UPDATE leerrekening_ledgeraccount SET balance = 1000000 WHERE worker_id = %s", [alice.pk]
    )
    assert "only by inserting a transfer" in message
    assert_invariants_hold()


def test_a_transfer_that_would_push_a_worker_below_zero_is_refused_by_sql(deposit, alice):
    account = ledger.account_for_worker(worker=alice)
    message = refused(
        "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,"
        " idempotency_key, request_hash, cause, created_at)"
        " VALUES (%s, %s, 200.01, 'correction', 'sql-overdraft', '', '', now())",
        [account.pk, ledger.external_account().pk],
    )
    assert "ledger_account_balance_not_negative" in message
    assert_invariants_hold()


def test_a_funder_cannot_be_pushed_below_zero_by_sql(deposit, acme):
    funder_account = ledger.account_for_funder(funder=acme.funder)
    message = refused(
        "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,"
        " idempotency_key, request_hash, cause, created_at)"
        " VALUES (%s, %s, 300.01, 'payout', 'sql-funder', '', '', now())",
        [funder_account.pk, ledger.external_account().pk],
    )
    assert "ledger_account_balance_not_negative" in message


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_a_transfer_of_zero_or_less_is_refused_by_sql(deposit, amount):
    message = refused(
        "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,"
        " idempotency_key, request_hash, cause, created_at)"
        " VALUES (%s, %s, %s, 'funding', 'sql-zero', '', '', now())",
        [ledger.external_account().pk, deposit.debit_account_id, amount],
    )
    assert "transfer_amount_positive" in message


def test_an_idempotency_key_cannot_be_inserted_twice(deposit):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.bulk_create(
            [
                Transfer(
                    debit_account_id=deposit.debit_account_id,
                    credit_account_id=ledger.external_account().pk,
                    amount=Decimal("1.00"),
                    kind="payout",
                    idempotency_key=deposit.idempotency_key,
                    request_hash="x",
                )
            ]
        )


def test_a_tranche_remainder_cannot_be_edited_or_pushed_above_its_deposit(deposit):
    tranche = Tranche.objects.get(deposit=deposit)
    assert "only by a tranche movement" in refused(
        "UPDATE leerrekening_tranche SET remaining = 0 WHERE id = %s", [tranche.pk]
    )
    funding = Transfer.objects.get(kind=Transfer.Kind.FUNDING)
    assert "tranche_remaining_within_deposit" in refused(
        "INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)"
        " VALUES (%s, %s, 0.01)",
        [funding.pk, tranche.pk],
    )
    assert Tranche.objects.get(pk=tranche.pk).remaining == Decimal("200.00")


def test_a_settled_reservation_cannot_be_reopened_by_sql(deposit, alice):
    provider = factories.ProviderFactory()
    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=Decimal("50.00"), idempotency_key="r"
    )
    ledger.reservation_void(reservation=reservation, idempotency_key="v")
    refused(
        "UPDATE leerrekening_reservation SET status = 'open', settle_transfer_id = NULL,"
        " settled_at = NULL WHERE id = %s",
        [reservation.pk],
    )
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.VOIDED


def test_ledger_accounts_and_tranches_are_never_deleted(deposit, alice):
    refused("DELETE FROM leerrekening_ledgeraccount WHERE worker_id = %s", [alice.pk])
    refused("DELETE FROM leerrekening_tranche WHERE deposit_id = %s", [deposit.pk])


def test_no_session_setting_switches_the_guards_off(deposit):
    # django-pgtrigger's triggers obey `SET pgtrigger.ignore`; the ledger's own do not.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL pgtrigger.ignore = '{transfer_append_only}'")
    refused("UPDATE leerrekening_transfer SET amount = 1 WHERE id = %s", [deposit.pk])
    assert Transfer.objects.get(pk=deposit.pk).amount == Decimal("200.00")
