"""Deposits in the admin: upload, confirm, progress, report; scoped per employer, by URL too."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from leerrekening import ledger
from leerrekening.deposits import applying
from leerrekening.deposits import services as deposits
from leerrekening.models import DepositBatch, TakeoverBatch
from tests.support.deposits import csv_file, roster, upload
from tests.support.funding import fund

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        applying.DEPOSIT_BATCHES, "enqueue", lambda batch_id: calls.append(batch_id) or True
    )
    return calls


@pytest.fixture
def acme_funder(acme):
    return fund("5000.00", employer=acme)


@pytest.fixture
def bouw_batch(bouw, bob):
    """Bouw BV's applied batch, with bob's deposit: what hanna (Acme) must never reach."""
    funder = fund("9000.00", employer=bouw)
    batch = upload(funder, bouw, ["0042;321,00"], deposit_date=datetime.date.today())
    deposits.deposit_batch_confirm(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk)
    return DepositBatch.objects.get(pk=batch.pk)


def test_employer_staff_upload_confirm_and_see_progress_and_report(
    client, hanna, acme, acme_funder, sent, django_capture_on_commit_callbacks
):
    roster(acme, 2)
    client.force_login(hanna)
    response = client.post(
        reverse("admin:leerrekening_depositbatch_upload"),
        {
            "funder": acme_funder.pk,
            "file": _named(csv_file(["000001;12,50", "000002;30"], crlf=True)),
            "deposit_date": datetime.date.today().isoformat(),
            "valid_years": "3",
            "at_end": "return",
            "description": "Scholingsbudget",
        },
    )
    batch = DepositBatch.objects.get()
    assert response.status_code == 302
    assert (batch.status, batch.employer, batch.created_by) == ("validated", acme, hanna)
    page = client.get(reverse("admin:leerrekening_depositbatch_change", args=[batch.pk]))
    assert "Bevestigen en storten" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:leerrekening_depositbatch_confirm", args=[batch.pk]))
    assert sent == [batch.pk]
    applying.deposit_batch_apply(batch_id=batch.pk)
    progress = client.get(reverse("admin:leerrekening_depositbatch_progress", args=[batch.pk]))
    assert progress.json()["percent"] == 100
    report = client.get(reverse("admin:leerrekening_depositbatch_report", args=[batch.pk]))
    body = b"".join(report.streaming_content).decode()
    assert body.startswith("\ufeffregel;personeelsnummer")
    assert body.count("gestort") == 2


def test_a_bad_file_shows_every_error_and_offers_no_confirmation(client, hanna, acme, acme_funder):
    roster(acme, 1)
    client.force_login(hanna)
    client.post(
        reverse("admin:leerrekening_depositbatch_upload"),
        {
            "funder": acme_funder.pk,
            "file": _named(csv_file(["000001;-5", "77;10"])),
            "deposit_date": datetime.date.today().isoformat(),
            "valid_years": "5",
            "at_end": "return",
        },
    )
    batch = DepositBatch.objects.get()
    page = client.get(
        reverse("admin:leerrekening_depositbatch_change", args=[batch.pk])
    ).content.decode()
    assert "Er zijn 2 fouten gevonden" in page
    assert "Bevestigen en storten" not in page
    response = client.post(reverse("admin:leerrekening_depositbatch_confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert DepositBatch.objects.get().status == "rejected"


def test_employer_staff_cannot_reach_another_employers_batches_deposits_or_funder(
    client, hanna, bouw_batch, bob
):
    client.force_login(hanna)
    secret = "321,00"
    listing = client.get(reverse("admin:leerrekening_depositbatch_changelist"))
    assert listing.status_code == 200
    assert f">{bouw_batch.pk}<" not in listing.content.decode()
    lines = client.get(reverse("admin:leerrekening_depositbatchline_changelist"))
    assert bob.full_name not in lines.content.decode()
    for name in ["report", "progress"]:
        response = client.get(
            reverse(f"admin:leerrekening_depositbatch_{name}", args=[bouw_batch.pk])
        )
        assert response.status_code == 404
        assert secret not in response.content.decode()
    for name in ["confirm", "cancel", "resume"]:
        response = client.post(
            reverse(f"admin:leerrekening_depositbatch_{name}", args=[bouw_batch.pk])
        )
        assert response.status_code == 404
    change = client.get(
        reverse("admin:leerrekening_depositbatch_change", args=[bouw_batch.pk]), follow=True
    )
    assert bouw_batch.funder.name not in change.content.decode()
    line = bouw_batch.lines.get()
    change = client.get(
        reverse("admin:leerrekening_depositbatchline_change", args=[line.pk]), follow=True
    )
    assert bob.full_name not in change.content.decode()
    funder = client.get(
        reverse("admin:leerrekening_funder_change", args=[bouw_batch.funder_id]), follow=True
    )
    assert "8.679" not in funder.content.decode()
    assert (
        bouw_batch.funder.name
        not in client.get(reverse("admin:leerrekening_funder_changelist")).content.decode()
    )
    # Uploading with another employer's funder is an invalid choice, not an upload.
    response = client.post(
        reverse("admin:leerrekening_depositbatch_upload"),
        {
            "funder": bouw_batch.funder_id,
            "file": _named(csv_file(["0042;1"])),
            "deposit_date": "2026-01-01",
            "valid_years": "5",
            "at_end": "return",
        },
    )
    assert response.status_code == 200
    assert DepositBatch.objects.count() == 1
    assert ledger.account_for_funder(funder=bouw_batch.funder).balance == Decimal("8679.00")


def test_employer_staff_cannot_record_funding_nor_a_coordinator_twice(
    client, hanna, carla, acme_funder
):
    client.force_login(hanna)
    url = reverse("admin:leerrekening_funder_funding", args=[acme_funder.pk])
    assert client.post(url, {"amount": "100", "reference": "X"}).status_code == 403
    client.force_login(carla)
    for _ in range(2):
        client.post(url, {"amount": "100,00", "reference": "NL-2026-001"})
    assert ledger.account_for_funder(funder=acme_funder).balance == Decimal("5100.00")


def test_employer_sees_own_funder_balance_and_uptake_but_no_worker_balance(
    client, hanna, acme, acme_funder, alice
):
    ledger.deposit_create(
        funder=acme_funder, worker=alice, amount=Decimal("80"), idempotency_key="a"
    )
    client.force_login(hanna)
    page = client.get(
        reverse("admin:leerrekening_funder_change", args=[acme_funder.pk])
    ).content.decode()
    assert "4.920,00" in page
    assert "verborgen (te kleine groep)" in page
    assert alice.full_name not in page
    # The ledger's own pages (balances, tranches) stay closed to employers.
    assert client.get(reverse("admin:leerrekening_tranche_changelist")).status_code == 403
    assert client.get(reverse("admin:leerrekening_ledgeraccount_changelist")).status_code == 403


def test_a_takeover_by_someone_managing_only_one_employer_is_refused(
    client, hanna, acme, bouw, alice
):
    client.force_login(hanna)
    response = client.get(reverse("admin:leerrekening_takeoverbatch_add"))
    assert response.status_code == 403
    assert not TakeoverBatch.objects.exists()


def test_batch_list_queries_do_not_grow_with_the_number_of_batches(
    client, hanna, acme, acme_funder, django_assert_max_num_queries
):
    roster(acme, 3)
    client.force_login(hanna)
    url = reverse("admin:leerrekening_depositbatch_changelist")
    upload(acme_funder, acme, ["000001;1"])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(10):
        upload(acme_funder, acme, [f"{(i % 3) + 1:06d};1"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    lines_url = reverse("admin:leerrekening_depositbatchline_changelist")
    client.get(lines_url)
    with django_assert_max_num_queries(12):
        client.get(lines_url)


def _named(stream):
    stream.name = "stortingen.csv"
    return stream
