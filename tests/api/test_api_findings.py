"""Smaller API findings of issue 16, each tried as an attack and refused with nothing leaked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from leerrekening.models import DepositBatch
from leerrekening.services import ledger
from tests import factories
from tests.leerrekening.deposits_support import funded_funder, upload

pytestmark = pytest.mark.django_db

BATCH = "api:v1:employer-deposit-batch"


def test_a_sector_funds_batch_paid_to_my_roster_is_404_like_a_missing_id(employer_api, acme, alice):
    acme_funder = funded_funder(acme)
    fund = factories.FunderFactory(name="O&O-fonds Retail", kind="sector_fund", employer=None)
    ledger.funding_record(funder=fund, amount=Decimal("1000.00"), idempotency_key="fund-fonds")
    fund_batch = upload(fund, acme, ["000101;77,00"])
    own_batch = upload(acme_funder, acme, ["000101;12,00"])
    assert fund_batch.status != DepositBatch.Status.REJECTED, fund_batch.errors
    client = employer_api(acme)

    own = client.get(reverse(BATCH, args=[own_batch.pk]))
    assert own.status_code == 200
    assert own.json()["id"] == own_batch.pk

    foreign = client.get(reverse(BATCH, args=[fund_batch.pk]))
    missing = client.get(reverse(BATCH, args=[fund_batch.pk + 10_000]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    body = foreign.content.decode()
    assert "77" not in body
    assert "O&O" not in body
