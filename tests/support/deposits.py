"""Deposit tests: a roster, CSV files, batches uploaded and schemes run in-process."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from accounts.models import Employment, User
from leerrekening.deposits import applying, schemes
from leerrekening.deposits import services as deposits
from leerrekening.models import DepositScheme
from tests.support.funding import fund

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


def make_scheme(funder, employer, **kwargs) -> DepositScheme:
    """A DepositScheme (a CAO regeling) of `funder` for `employer`; kwargs override the defaults."""
    defaults = {
        "name": "CAO leerbudget",
        "amount": Decimal("500.00"),
        "period": DepositScheme.Period.YEAR,
        "starts_on": datetime.date(2026, 1, 1),
        "valid_years": 5,
        "at_end": "return",
        "source": "cao",
    }
    return DepositScheme.objects.create(funder=funder, employer=employer, **{**defaults, **kwargs})


def quarterly_cao_schemes(*employers) -> None:
    """For each employer, a funded CAO scheme paying EUR 100 per quarter from 1 January 2026."""
    for employer in employers:
        DepositScheme.objects.create(
            name="CAO",
            funder=fund("5000", employer=employer),
            employer=employer,
            amount=Decimal("100.00"),
            period="quarter",
            starts_on=datetime.date(2026, 1, 1),
        )


def run_schemes(day: datetime.date) -> None:
    """What beat does on `day`: run the schemes due, and apply their batches in-process."""

    for batch in schemes.schemes_run_due(today=day):
        applying.deposit_batch_apply(batch_id=batch.pk)
