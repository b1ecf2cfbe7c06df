"""Ledger reads: balance, reserved, available, tranches by funder, paginated history; the
coordinator's read-only admin. Query counts do not grow with the history."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from leerrekening import ledger, selectors
from leerrekening.models import Transfer
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def books(acme, alice):
    funder = factories.FunderFactory(employer=acme)
    sector_fund = factories.FunderFactory(
        kind="sector_fund", employer=None, name="O&O-fonds Retail"
    )
    fund("1000.00", funder=funder)
    fund("1000.00", funder=sector_fund)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=D("500.00"), idempotency_key="a",
        ends_on=datetime.date(2027, 1, 31),
    )  # fmt: skip
    ledger.deposit_create(
        funder=sector_fund, worker=alice, amount=D("250.00"), idempotency_key="b", source="sector"
    )
    provider = factories.ProviderFactory(name="Vakschool")
    ledger.reservation_create(
        worker=alice, provider=provider, amount=D("100.00"), idempotency_key="r"
    )
    return funder, sector_fund, provider


def test_summary_shows_available_reserved_and_total(books, alice):
    summary = selectors.account_summary(worker=alice)
    assert summary.available == D("650.00")
    assert summary.reserved == D("100.00")
    assert summary.total == D("750.00")


def test_summary_of_a_worker_without_an_account_is_zero(bob):
    summary = selectors.account_summary(worker=bob)
    assert summary.total == summary.available == summary.reserved == D("0")


def test_tranches_are_grouped_by_funder_in_spending_order(books, alice):
    groups = selectors.tranches_by_funder(worker=alice)
    assert [(g["funder"].name, g["remaining"]) for g in groups] == [
        ("Acme Supermarkten", D("400.00")),
        ("O&O-fonds Retail", D("250.00")),
    ]
    assert [t.ends_on for t in selectors.tranches_of(worker=alice)] == [
        datetime.date(2027, 1, 31),
        None,
    ]


def test_history_is_newest_first_with_signed_amounts_and_counterparties(books, alice):
    page = selectors.worker_history(worker=alice)
    assert [(e.kind, e.amount, e.counterparty) for e in page.entries] == [
        ("reservation", D("-100.00"), "Vakschool"),
        ("deposit", D("250.00"), "O&O-fonds Retail"),
        ("deposit", D("500.00"), "Acme Supermarkten"),
    ]
    assert page.next_before is None


def test_history_names_the_provider_of_a_payment_and_of_a_release(books, alice):
    _funder, _fund, provider = books
    paid = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("40.00"), idempotency_key="r2"
    )
    ledger.reservation_post(reservation=paid, idempotency_key="p2")
    released = ledger.reservation_create(
        worker=alice, provider=provider, amount=D("10.00"), idempotency_key="r3"
    )
    ledger.reservation_void(reservation=released, idempotency_key="v3")
    page = selectors.worker_history(worker=alice, limit=3)
    # A payment moves escrow -> provider: not on the worker's account. The release comes back.
    assert [(e.kind, e.amount, e.counterparty) for e in page.entries] == [
        ("release", D("10.00"), "Vakschool"),
        ("reservation", D("-10.00"), "Vakschool"),
        ("reservation", D("-40.00"), "Vakschool"),
    ]
    assert page.entries[0].kind_label == "Reservering vrijgegeven"
    assert page.next_before == page.entries[-1].transfer_id


def test_history_of_an_account_without_funder_names_the_other_accounts_kind(books, alice):
    escrow = ledger.reservations_account_for(account=ledger.account_for_worker(worker=alice))
    page = selectors.account_history(account=escrow, limit=5)
    assert [(e.kind, e.amount, e.counterparty) for e in page.entries] == [
        ("reservation", D("100.00"), "Vakschool")
    ]
    external = ledger.external_account()
    entries = selectors.account_history(account=external, limit=5).entries
    assert {e.counterparty for e in entries} == {"Acme Supermarkten", "O&O-fonds Retail"}
    assert all(e.amount < 0 for e in entries)


def test_history_pages_with_a_constant_number_of_queries(
    books, alice, django_assert_max_num_queries
):
    funder = books[0]
    fund("5000.00", funder=funder, key="more")
    lines = [
        ledger.DepositLine(worker_id=alice.pk, amount=D("1.00"), idempotency_key=f"m{i}")
        for i in range(120)
    ]
    ledger.deposits_create(funder=funder, lines=lines)
    account = ledger.account_for_worker(worker=alice)
    seen, before = [], None
    while True:
        with django_assert_max_num_queries(3):
            page = selectors.account_history(account=account, before=before, limit=25)
        seen += [e.transfer_id for e in page.entries]
        if page.next_before is None:
            break
        before = page.next_before
    assert len(seen) == 123 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_a_coordinator_sees_the_ledger_read_only(client, carla, books):
    client.force_login(carla)
    assert client.get(reverse("admin:leerrekening_transfer_changelist")).status_code == 200
    transfer = Transfer.objects.first()
    page = client.get(reverse("admin:leerrekening_transfer_change", args=[transfer.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:leerrekening_transfer_add")).status_code == 403
    assert (
        client.post(reverse("admin:leerrekening_transfer_delete", args=[transfer.pk])).status_code
        == 403
    )


def test_a_coordinator_corrects_a_deposit_with_a_new_opposite_transfer(client, carla, books, alice):
    client.force_login(carla)
    deposit = Transfer.objects.get(idempotency_key="b")
    response = client.post(
        reverse("admin:leerrekening_transfer_changelist"),
        {"action": "reverse_transfers", "_selected_action": [deposit.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Transfer.objects.filter(reverses=deposit, kind="correction").count() == 1
    assert selectors.account_summary(worker=alice).available == D("400.00")


@pytest.mark.parametrize("persona", ["hanna", "alice", "olaf"])
def test_nobody_but_a_coordinator_opens_the_ledger_admin(client, request, persona, books):
    user = request.getfixturevalue(persona)
    user.is_staff = True
    user.save()
    client.force_login(user)
    transfer = Transfer.objects.first()
    for url in [
        reverse("admin:leerrekening_transfer_changelist"),
        reverse("admin:leerrekening_transfer_change", args=[transfer.pk]),
        reverse("admin:leerrekening_ledgeraccount_changelist"),
        reverse("admin:leerrekening_tranche_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "500.00" not in response.content.decode()
