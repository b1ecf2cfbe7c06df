"""Ledger throughput: transfers per second through the service layer with 1, 4 and 16 concurrent
workers (processes, each with its own connection), against a pgbench-like baseline in the same run
(plain SQL on plain tables: two balance updates + one insert per transaction, same concurrency).

Runs on a scratch database `<name>_bench` on the configured server (embedded by default), which
it recreates. Usage: .venv/bin/python bench/ledger.py [--seconds 5] [--accounts 200]
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerportaal.settings")
# Production-like: DEBUG=false (Django then records no queries: that would be part of the figure).
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "ledger-bench-" + "x" * 50)

from leerportaal import embedded

embedded.ensure_environ()
_url = urlsplit(os.environ["DATABASE_URL"])
BENCH_DB = _url.path.lstrip("/") + "_bench"
os.environ["DATABASE_URL"] = urlunsplit(_url._replace(path="/" + BENCH_DB))

import django  # noqa: E402
import psycopg2  # noqa: E402


def admin_connection():
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"],
        password=db["PASSWORD"] or None, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    return conn


def recreate_database():
    conn = admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    conn.close()


def setup(n_accounts: int) -> list[int]:
    from django.core.management import call_command
    from django.db import connection

    from leerrekening import ledger
    from leerrekening.models import Funder

    call_command("migrate", verbosity=0)
    ids = []
    for i in range(n_accounts):
        funder = Funder.objects.create(name=f"Bench fund {i}", kind=Funder.Kind.SECTOR_FUND)
        ledger.funding_record(
            funder=funder, amount=Decimal("1000000.00"), idempotency_key=f"seed-{i}"
        )
        ids.append(ledger.account_for_funder(funder=funder).pk)
    with connection.cursor() as cur:  # the baseline's plain tables: no constraints, no triggers
        cur.execute("CREATE TABLE bench_account (id bigint PRIMARY KEY, balance numeric(14,2))")
        cur.execute(
            "CREATE TABLE bench_transfer (id bigserial PRIMARY KEY, debit bigint, credit bigint,"
            " amount numeric(14,2), created_at timestamptz)"
        )
        cur.execute(
            "INSERT INTO bench_account SELECT g, 1000000 FROM generate_series(1, %s) g",
            [n_accounts],
        )
    return ids


def service_worker(args):
    worker_no, account_ids, seconds, start_at = args
    django.setup()
    from leerrekening import ledger
    from leerrekening.models import LedgerAccount, Transfer

    accounts = list(LedgerAccount.objects.filter(pk__in=account_ids))
    rng = random.Random(worker_no)
    done = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    while time.time() < deadline:
        debit, credit = rng.sample(accounts, 2)
        ledger.transfer_create(
            debit=debit, credit=credit, amount=Decimal("0.01"), kind=Transfer.Kind.CORRECTION,
            idempotency_key=f"b{worker_no}-{start_at}-{done}",
        )  # fmt: skip
        done += 1
    return done


def sql_worker(args):
    worker_no, n_accounts, seconds, start_at = args
    django.setup()
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"],
        password=db["PASSWORD"] or None, dbname=db["NAME"],
    )  # fmt: skip
    rng = random.Random(worker_no)
    done = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    with conn.cursor() as cur:
        while time.time() < deadline:
            a, b = rng.sample(range(1, n_accounts + 1), 2)
            first, second = sorted((a, b))  # same lock order rule as the service
            cur.execute("UPDATE bench_account SET balance = balance + %s WHERE id = %s",
                        [Decimal("-0.01") if first == a else Decimal("0.01"), first])  # fmt: skip
            cur.execute("UPDATE bench_account SET balance = balance + %s WHERE id = %s",
                        [Decimal("-0.01") if second == a else Decimal("0.01"), second])  # fmt: skip
            cur.execute(
                "INSERT INTO bench_transfer (debit, credit, amount, created_at)"
                " VALUES (%s, %s, 0.01, now())",
                [a, b],
            )
            conn.commit()
            done += 1
    conn.close()
    return done


def measure(pool_size: int, fn, make_args, seconds: float) -> float:
    start_at = time.time() + 1.5  # let every process import and connect first
    with mp.get_context("fork").Pool(pool_size) as pool:
        counts = pool.map(fn, [make_args(i, start_at) for i in range(pool_size)])
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--accounts", type=int, default=200)
    options = parser.parse_args()

    recreate_database()
    django.setup()
    from django.db import connections

    account_ids = setup(options.accounts)
    connections.close_all()  # no connection may cross the fork

    figures: dict[str, float] = {}
    for workers in (1, 4, 16):
        service = measure(
            workers, service_worker,
            lambda i, s, w=workers: (i + 100 * w, account_ids, options.seconds, s), options.seconds,
        )  # fmt: skip
        sql = measure(
            workers, sql_worker,
            lambda i, s, w=workers: (i + 100 * w, options.accounts, options.seconds, s), options.seconds,
        )  # fmt: skip
        figures[f"transfers_per_s_{workers}"] = round(service, 1)
        figures[f"sql_per_s_{workers}"] = round(sql, 1)
        figures[f"ratio_vs_sql_{workers}"] = round(service / sql, 3)
        print(
            f"{workers:>2} workers: service {service:8.1f} transfers/s, "
            f"plain SQL {sql:8.1f}/s, ratio {service / sql:.2f}",
            flush=True,
        )
    figures["ratio_vs_sql"] = figures["ratio_vs_sql_16"]

    from django.core.management import call_command

    with open(os.devnull, "w") as devnull:
        call_command("ledger_check", stdout=devnull)  # raises if the run broke the books
    figures["ledger_check"] = "ok"
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
