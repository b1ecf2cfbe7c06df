"""Ledger checks for tests: balances at a glance, and every invariant of the books."""

from __future__ import annotations

from decimal import Decimal

from leerrekening.ledger_check import run_checks
from leerrekening.models import LedgerAccount


def balance_of(account: LedgerAccount) -> Decimal:
    return LedgerAccount.objects.get(pk=account.pk).balance


def assert_invariants_hold():
    broken = [f"{r.name}: {r.detail}" for r in run_checks() if not r.ok]
    assert broken == []
