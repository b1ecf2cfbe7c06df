"""Shared helpers for ledger tests: a funded employer and its workers, balances at a glance."""

from __future__ import annotations

from decimal import Decimal

from leerrekening import ledger
from leerrekening.ledger_check import run_checks
from leerrekening.models import LedgerAccount


def funded(funder, amount: str, key: str | None = None):
    return ledger.funding_record(
        funder=funder, amount=Decimal(amount), idempotency_key=key or f"fund:{funder.pk}:{amount}"
    )


def balance_of(account: LedgerAccount) -> Decimal:
    return LedgerAccount.objects.get(pk=account.pk).balance


def assert_invariants_hold():
    broken = [f"{r.name}: {r.detail}" for r in run_checks() if not r.ok]
    assert broken == []
