"""Money made the real way in tests: funding a funder's prepaid account, then (optionally) a
deposit into a worker's learning account through the ledger service. Never written directly.

    fund("1000.00", funder=funder)              # fund an existing funder
    fund("5000.00", employer=acme)              # a new funder of acme, funded
    fund("100.00", worker=alice)                # a new funder (new employer) deposits to alice
    fund("100.00", worker=alice, funder=f, ends_on=day)

Returns the funder. Keys are unique per call unless `key` is given (then a repeat replays).
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from leerrekening import ledger
from tests import factories

_keys = itertools.count()


def fund(
    amount: str | Decimal,
    *,
    funder=None,
    employer=None,
    worker=None,
    ends_on: datetime.date | None = None,
    key: str | None = None,
):
    """Fund `funder` (or a new FunderFactory of `employer`, or of a new employer) with `amount`;
    with `worker`, deposit that amount into the worker's learning account (ending `ends_on`)."""
    if funder is None:
        funder = factories.FunderFactory(employer=employer or factories.EmployerFactory())
    n = next(_keys)
    amount = Decimal(amount)
    ledger.funding_record(funder=funder, amount=amount, idempotency_key=key or f"t-fund-{n}")
    if worker is not None:
        ledger.deposit_create(
            funder=funder,
            worker=worker,
            amount=amount,
            idempotency_key=f"{key}:deposit" if key else f"t-dep-{n}",
            ends_on=ends_on,
        )
    return funder
