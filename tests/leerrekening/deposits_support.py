"""Helpers for deposit tests: a funded employer with a roster, CSV files, batches applied in-process."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from accounts.models import Employment, User
from leerrekening import ledger
from leerrekening.services import deposits
from tests import factories

TODAY = datetime.date(2026, 3, 2)


def roster(employer, count: int, *, start=datetime.date(2020, 1, 1)) -> list[Employment]:
    """`count` employees of `employer` with employee numbers 000001..."""
    # bulk_create with unusable passwords: hashing thousands of passwords would dominate the test.
    first = User.objects.count()
    workers = User.objects.bulk_create(
        [
            User(email=f"roster{first + i}.{employer.pk}@example.nl", full_name=f"Werknemer {i}")
            for i in range(1, count + 1)
        ]
    )
    return Employment.objects.bulk_create(
        [
            Employment(worker=w, employer=employer, employee_number=f"{i:06d}", start_date=start)
            for i, w in enumerate(workers, 1)
        ]
    )


def funded_funder(employer, amount: str = "100000.00"):
    funder = factories.FunderFactory(employer=employer)
    ledger.funding_record(
        funder=funder, amount=Decimal(amount), idempotency_key=f"fund:{funder.pk}:{amount}"
    )
    return funder


def csv_file(lines: list[str], *, header: str = "personeelsnummer;bedrag", crlf: bool = False):
    eol = "\r\n" if crlf else "\n"
    return io.BytesIO((eol.join([header, *lines]) + eol).encode("utf-8-sig"))


def upload(funder, employer, lines, *, by=None, deposit_date=TODAY, **kwargs):
    return deposits.deposit_batch_upload(
        funder=funder,
        employer=employer,
        stream=csv_file(lines, **kwargs),
        file_name="stortingen.csv",
        deposit_date=deposit_date,
        ends_on=deposits.ends_on_for(deposit_date=deposit_date, valid_years=5),
        at_end="return",
        by=by,
    )


def quarterly_cao_schemes(*employers) -> None:
    """For each employer, a funded CAO scheme paying EUR 100 per quarter from 1 January 2026."""
    from leerrekening.models import DepositScheme

    for employer in employers:
        DepositScheme.objects.create(
            name="CAO",
            funder=funded_funder(employer, "5000"),
            employer=employer,
            amount=Decimal("100.00"),
            period="quarter",
            starts_on=datetime.date(2026, 1, 1),
        )


def run_schemes(day: datetime.date) -> None:
    """What beat does on `day`: run the schemes due, and apply their batches in-process."""
    from leerrekening.services import schemes

    for batch in schemes.schemes_run_due(today=day):
        deposits.deposit_batch_apply(batch_id=batch.pk)
