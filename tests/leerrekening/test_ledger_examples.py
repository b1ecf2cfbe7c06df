"""Worked examples of the ledger, in euros, each ending with every invariant holding."""

import datetime
from decimal import Decimal

import pytest

from leerrekening import ledger
from leerrekening.models import Notification, Reservation, Tranche, Transfer
from tests import factories
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold, balance_of

pytestmark = pytest.mark.django_db

D = Decimal


def test_funding_deposit_reserve_and_post_move_money_as_in_the_design(funder, alice, provider):
    fund("1000.00", funder=funder)
    ledger.deposit_create(
        funder=funder,
        worker=alice,
        amount=D("500.00"),
        idempotency_key="dep-1",
        ends_on=datetime.date(2031, 12, 31),
    )
    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("300.00"), idempotency_key="res-1"
    )
    ledger.reservation_post(reservation=reservation, idempotency_key="post-1")

    assert balance_of(ledger.external_account()) == D("-1000.00")
    assert balance_of(ledger.account_for_funder(funder=funder)) == D("500.00")
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("200.00")
    assert ledger.reserved_total() == D("0.00")
    assert balance_of(ledger.account_for_provider(provider=provider)) == D("300.00")
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.POSTED
    assert_invariants_hold()


def test_void_returns_the_reservation_in_full_to_the_tranches_it_came_from(funder, alice, provider):
    fund("1000.00", funder=funder)
    early = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="early",
        ends_on=datetime.date(2027, 6, 30),
    )  # fmt: skip
    late = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("400.00"), idempotency_key="late",
        ends_on=datetime.date(2030, 6, 30),
    )  # fmt: skip
    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("250.00"), idempotency_key="res"
    )
    assert Tranche.objects.get(deposit=early).remaining == D("0.00")
    assert Tranche.objects.get(deposit=late).remaining == D("250.00")

    ledger.reservation_void(reservation=reservation, idempotency_key="void")

    assert Tranche.objects.get(deposit=early).remaining == D("100.00")
    assert Tranche.objects.get(deposit=late).remaining == D("400.00")
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("500.00")
    assert ledger.reserved_total() == D("0.00")
    assert_invariants_hold()


def test_spending_uses_the_tranche_that_ends_first_and_open_ended_ones_last(
    funder, alice, provider
):
    fund("1000.00", funder=funder)
    open_ended = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="open"
    )
    later = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="later",
        ends_on=datetime.date(2029, 1, 1),
    )  # fmt: skip
    sooner = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="sooner",
        ends_on=datetime.date(2028, 1, 1),
    )  # fmt: skip
    ledger.reservation_create(
        worker=alice, provider=provider, amount=D("150.00"), idempotency_key="r"
    )
    remaining = {t.deposit_id: t.remaining for t in Tranche.objects.all()}
    assert remaining[sooner.pk] == D("0.00")
    assert remaining[later.pk] == D("50.00")
    assert remaining[open_ended.pk] == D("100.00")
    assert_invariants_hold()


def test_expiry_returns_the_remainder_to_the_funder_and_tells_the_worker(funder, alice, provider):
    fund("500.00", funder=funder)
    deposit = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("500.00"), idempotency_key="dep",
        ends_on=datetime.date(2027, 1, 31),
    )  # fmt: skip
    ledger.reservation_create(
        worker=alice, provider=provider, amount=D("120.00"), idempotency_key="r"
    )

    report = ledger.expire_tranches(today=datetime.date(2027, 2, 1))

    assert report.expired == 1
    assert report.returned == D("380.00")
    tranche = Tranche.objects.get(deposit=deposit)
    assert tranche.remaining == D("0.00")
    assert tranche.ended_at is not None
    assert balance_of(ledger.account_for_funder(funder=funder)) == D("380.00")
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("0.00")
    expiry = Transfer.objects.get(kind=Transfer.Kind.EXPIRY)
    assert expiry.amount == D("380.00")
    assert Notification.objects.filter(user=alice, kind="expired").count() == 1
    # A second run (beat fires twice) moves nothing and tells nothing again.
    again = ledger.expire_tranches(today=datetime.date(2027, 2, 1))
    assert again.expired == 0
    assert Transfer.objects.filter(kind=Transfer.Kind.EXPIRY).count() == 1
    assert Notification.objects.filter(user=alice, kind="expired").count() == 1
    assert_invariants_hold()


def test_a_tranche_the_scheme_lets_the_worker_keep_stays_after_its_end(funder, alice):
    fund("200.00", funder=funder)
    deposit = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("200.00"), idempotency_key="keep",
        ends_on=datetime.date(2026, 1, 31), at_end=Tranche.AtEnd.KEEP,
    )  # fmt: skip
    report = ledger.expire_tranches(today=datetime.date(2026, 3, 1))
    assert report.kept == 1
    assert Tranche.objects.get(deposit=deposit).remaining == D("200.00")
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("200.00")
    assert_invariants_hold()


def test_a_tranche_past_its_end_is_not_spent_before_the_expiry_task_ran(funder, alice, provider):
    fund("200.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=D("200.00"), idempotency_key="old",
        ends_on=datetime.date(2020, 1, 1),
    )  # fmt: skip
    with pytest.raises(ledger.InsufficientFunds) as excinfo:
        ledger.reservation_create(
            worker=alice, provider=provider, amount=D("50.00"), idempotency_key="r"
        )
    assert excinfo.value.available == D("0")


def test_workers_are_told_90_and_14_days_before_a_tranche_ends_once_each(funder, alice):
    fund("300.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=D("300.00"), idempotency_key="d",
        ends_on=datetime.date(2027, 3, 31),
    )  # fmt: skip
    assert ledger.expire_tranches(today=datetime.date(2026, 12, 1)).notices == 0
    assert ledger.expire_tranches(today=datetime.date(2027, 1, 1)).notices == 1
    assert ledger.expire_tranches(today=datetime.date(2027, 1, 2)).notices == 0
    assert ledger.expire_tranches(today=datetime.date(2027, 3, 20)).notices == 1
    assert ledger.expire_tranches(today=datetime.date(2027, 3, 21)).notices == 0
    notices = Notification.objects.filter(user=alice, kind="expiry_notice")
    assert notices.count() == 2
    assert all("31-03-2027" in n.title for n in notices)


def test_retrying_with_the_same_key_returns_the_first_result_and_moves_nothing(
    funder, alice, provider
):
    fund("1000.00", funder=funder)
    first = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="k"
    )
    again = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="k"
    )
    assert again.pk == first.pk
    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("40.00"), idempotency_key="r"
    )
    assert (
        ledger.reservation_create(
            worker=alice, provider=provider, amount=D("40.00"), idempotency_key="r"
        ).pk
        == reservation.pk
    )
    posted = ledger.reservation_post(reservation=reservation, idempotency_key="p")
    assert ledger.reservation_post(reservation=reservation, idempotency_key="p").pk == posted.pk
    assert Transfer.objects.count() == 4  # funding, deposit, reservation, payment
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("60.00")
    assert_invariants_hold()


def test_the_same_key_with_other_content_is_refused_with_a_clear_error(funder, alice):
    fund("1000.00", funder=funder)
    ledger.deposit_create(funder=funder, worker=alice, amount=D("100.00"), idempotency_key="k")
    with pytest.raises(ledger.IdempotencyConflict, match="already used for a different operation"):
        ledger.deposit_create(funder=funder, worker=alice, amount=D("101.00"), idempotency_key="k")
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("100.00")


def test_a_settled_reservation_cannot_be_posted_or_voided_again(funder, alice, provider):
    fund("100.00", funder=funder)
    ledger.deposit_create(funder=funder, worker=alice, amount=D("100.00"), idempotency_key="d")
    reservation = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("100.00"), idempotency_key="r"
    )
    ledger.reservation_void(reservation=reservation, idempotency_key="v")
    with pytest.raises(ledger.ReservationAlreadySettled):
        ledger.reservation_post(reservation=reservation, idempotency_key="p")
    with pytest.raises(ledger.ReservationAlreadySettled):
        ledger.reservation_void(reservation=reservation, idempotency_key="v2")
    assert balance_of(ledger.account_for_provider(provider=provider)) == D("0.00")
    assert_invariants_hold()


def test_a_deposit_above_the_prepaid_balance_is_refused_and_moves_nothing(funder, alice):
    fund("99.99", funder=funder)
    with pytest.raises(ledger.InsufficientFunds) as excinfo:
        ledger.deposit_create(funder=funder, worker=alice, amount=D("100.00"), idempotency_key="d")
    assert excinfo.value.available == D("99.99")
    assert not Tranche.objects.exists()
    assert_invariants_hold()


@pytest.mark.parametrize("amount", [D("0"), D("-5"), D("1.005")])
def test_amounts_must_be_positive_whole_cents(funder, alice, amount):
    fund("100.00", funder=funder)
    with pytest.raises(ledger.InvalidAmount):
        ledger.deposit_create(funder=funder, worker=alice, amount=amount, idempotency_key="d")


def test_floats_are_refused(funder, alice):
    with pytest.raises(ledger.InvalidAmount, match="never float"):
        ledger.funding_record(funder=funder, amount=10.5, idempotency_key="f")


def test_a_correction_reverses_an_unspent_deposit_by_a_new_opposite_transfer(funder, alice):
    fund("100.00", funder=funder)
    deposit = ledger.deposit_create(
        funder=funder, worker=alice, amount=D("100.00"), idempotency_key="d"
    )
    reversal = ledger.transfer_reverse(
        transfer=deposit, idempotency_key="c", reason="verkeerde persoon"
    )
    assert reversal.kind == Transfer.Kind.CORRECTION
    assert reversal.reverses_id == deposit.pk
    assert Transfer.objects.filter(pk=deposit.pk).exists()  # the original stays
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("0.00")
    assert balance_of(ledger.account_for_funder(funder=funder)) == D("100.00")
    with pytest.raises(ledger.OperationNotAllowed, match="already reversed"):
        ledger.transfer_reverse(transfer=deposit, idempotency_key="c2", reason="nog eens")
    assert_invariants_hold()


def test_learning_accounts_cannot_be_moved_by_a_plain_transfer(funder, alice):
    fund("100.00", funder=funder)
    with pytest.raises(ledger.OperationNotAllowed):
        ledger.transfer_create(
            debit=ledger.account_for_funder(funder=funder),
            credit=ledger.account_for_worker(worker=alice),
            amount=D("10.00"),
            kind=Transfer.Kind.CORRECTION,
            idempotency_key="x",
        )


def test_the_account_stays_with_the_worker_across_a_job_change(funder, alice, bouw):
    fund("300.00", funder=funder)
    ledger.deposit_create(funder=funder, worker=alice, amount=D("300.00"), idempotency_key="d")
    employment = alice.employments.get()
    employment.end_date = datetime.date(2026, 6, 30)
    employment.save()
    factories.EmploymentFactory(worker=alice, employer=bouw, start_date=datetime.date(2026, 7, 1))
    assert balance_of(ledger.account_for_worker(worker=alice)) == D("300.00")
    assert Tranche.objects.get(account__worker=alice).funder == funder


def test_reservations_of_different_workers_go_to_their_own_escrow_shard(
    funder, alice, bob, provider
):
    fund("1000.00", funder=funder)
    for worker, key in ((alice, "a"), (bob, "b")):
        ledger.deposit_create(funder=funder, worker=worker, amount=D("100.00"), idempotency_key=key)
    first = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("30.00"), idempotency_key="ra"
    )
    second = ledger.reservation_create(
        worker=bob, provider=provider, amount=D("40.00"), idempotency_key="rb"
    )
    shards = {r.reserve_transfer.credit_account.shard for r in (first, second)}
    expected = {r.account_id % ledger.reservation_shards() for r in (first, second)}
    assert shards == expected
    assert ledger.reserved_total() == D("70.00")
    ledger.reservation_void(reservation=first, idempotency_key="va")
    assert ledger.reserved_total() == D("40.00")
    assert_invariants_hold()
