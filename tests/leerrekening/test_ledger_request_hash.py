"""The request hashes the database computes agree with their Python form on many inputs: a
reservation's (ledger_reserve_request_hash vs ledger.request_hash) and a deposit's (the deposit
SQL vs ledger.deposit_request_hash)."""

import datetime
import json
import random
from decimal import Decimal

import pytest
from django.db import connection

from leerrekening import ledger
from leerrekening.models import Tranche, Transfer
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db

CAUSES = [
    "",
    "booking:17",
    'quote " and backslash \\ and slash /',
    "tab\tnewline\nreturn\r\x01\x1f",
    "één café, Straße, ø",
    "emoji 🎓 and 中文",
    "x" * 200,
]


def test_the_reserve_hash_in_sql_is_the_python_request_hash():
    rng = random.Random(17)
    cases = [
        (
            rng.randrange(1, 10**9),
            rng.randrange(1, 10**9),
            Decimal(rng.randrange(1, 10**8)) / 100,
            cause,
        )
        for cause in CAUSES
        for _ in range(30)
    ]
    with connection.cursor() as cursor:
        for account, payee, amount, cause in cases:
            amount = ledger.checked_amount(amount)
            cursor.execute(
                "SELECT ledger_reserve_request_hash(%s, %s, %s, %s)",
                [account, payee, str(amount), json.dumps(cause)],
            )
            expected = ledger.request_hash(
                op="reserve", account=account, payee=payee, amount=amount, cause=cause
            )
            assert cursor.fetchone()[0] == expected, (account, payee, amount, cause)


def test_the_deposit_hash_in_sql_is_deposit_request_hash(funder):
    fund("100000.00", funder=funder)
    rng = random.Random(7)
    workers = factories.UserFactory.create_batch(5)
    lines = [
        ledger.DepositLine(
            worker_id=workers[n % len(workers)].pk,
            amount=Decimal(rng.randrange(1, 100000)) / 100,
            idempotency_key=f"hash-{n}",
            source=rng.choice(list(Tranche.Source.values)),
            ends_on=rng.choice([None, datetime.date(2030, 1, 1) + datetime.timedelta(days=n)]),
            at_end=rng.choice(list(Tranche.AtEnd.values)),
            cause=CAUSES[n % len(CAUSES)],
        )
        for n in range(70)
    ]
    result = ledger.deposits_create(funder=funder, lines=lines)
    stored = dict(
        Transfer.objects.filter(pk__in=result.applied).values_list(
            "idempotency_key", "request_hash"
        )
    )
    assert len(stored) == len(lines)
    for line in lines:
        assert stored[line.idempotency_key] == ledger.deposit_request_hash(
            funder_id=funder.pk, line=line
        ), line
