"""Bulk deposits end to end: a 100,000-line CSV batch validated and applied through Celery.

Steps, on a scratch database `<name>_bulkbench` (recreated) and a private Redis:
1. an employer with N employees and a funded prepaid account;
2. timed: upload (stream-parse + validate + store lines), confirm, a real Celery worker applies it
   in chunks (one balance update of the funder's row per chunk). The worker runs with
   `--concurrency 2`, as the Procfile's does on these 2 cores, so two processes share the batch's
   chunks (DEPOSIT_BATCH_WORKERS=2);
3. the baseline: the same ledger rows inserted by bare SQL (per deposit a transfer and a tranche,
   what our run writes; INSERT pages of 5,000 into plain tables of the same shape without
   constraints, triggers or indexes). `ratio_vs_sql` compares with that; the ratio against the
   transfers alone is printed too (`ratio_vs_sql_transfers_only`).

Prints deposits/s, the worker's peak memory (VmHWM of the pool process), the baseline and the
ratio (our throughput / bare SQL throughput, in deposits). The last line is one JSON object.
Usage: .venv/bin/python bench/bulk_deposit.py [--lines 100000] [--chunk 5000] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerportaal.settings")
# Production-like: DEBUG=false (Django then records no queries: that would be part of the figure).
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bulk-bench-" + "x" * 50)

from leerportaal import embedded

embedded.ensure_environ()
_url = urlsplit(os.environ["DATABASE_URL"])
BENCH_DB = _url.path.lstrip("/") + "_bulkbench"
os.environ["DATABASE_URL"] = urlunsplit(_url._replace(path="/" + BENCH_DB))

import django  # noqa: E402
import psutil  # noqa: E402
import psycopg2  # noqa: E402


def recreate_database() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"],
        password=db["PASSWORD"] or None, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    conn.close()


def setup(n: int):
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Employer, Sector
    from leerrekening import ledger
    from leerrekening.models import Funder

    call_command("migrate", verbosity=0)
    sector = Sector.objects.create(name="Bench", code="bench")
    employer = Employer.objects.create(name="Bench BV", kvk_number="99999999", sector=sector)
    with connection.cursor() as cur:  # people and employments by plain SQL: setup, not measured
        cur.execute(
            "INSERT INTO accounts_user (password, email, full_name, is_worker, is_ambassador,"
            " is_coordinator, is_staff, is_active, is_superuser, date_joined)"
            " SELECT '!', 'w' || g || '@bench.nl', 'Werknemer ' || g, true, false, false, false,"
            " true, false, now() FROM generate_series(1, %s) g",
            [n],
        )
        cur.execute(
            "INSERT INTO accounts_employment (worker_id, employer_id, employee_number, start_date,"
            " created_at) SELECT id, %s, lpad(substr(email, 2, strpos(email, '@') - 2), 7, '0'),"
            " '2020-01-01', now() FROM accounts_user WHERE email LIKE '%%@bench.nl'",
            [employer.pk],
        )
        cur.execute(
            "CREATE TABLE bench_transfer (id bigserial, debit_account_id bigint,"
            " credit_account_id bigint, amount numeric(14,2), kind varchar(20),"
            " idempotency_key varchar(200), request_hash varchar(64), cause varchar(200),"
            " created_at timestamptz);"
            " CREATE TABLE bench_tranche (id bigserial, account_id bigint, funder_id bigint,"
            " source varchar(20), deposit_id bigint, amount numeric(14,2),"
            " remaining numeric(14,2), ends_on date, at_end varchar(20), created_at timestamptz)"
        )
    funder = Funder.objects.create(name="Bench BV", kind="employer", employer=employer)
    ledger.funding_record(funder=funder, amount=Decimal("100000000"), idempotency_key="bench")
    return employer, funder


def make_csv(n: int) -> io.BytesIO:
    # Dutch Excel: BOM, semicolons, decimal comma, CRLF, leading zeros.
    lines = ["\ufeffpersoneelsnummer;bedrag;bron;omschrijving"]
    lines += [f"{i:07d};{100 + i % 400},{i % 100:02d};cao;Leerbudget 2026" for i in range(1, n + 1)]
    return io.BytesIO(("\r\n".join(lines) + "\r\n").encode())


def bare_sql_insert(n: int, page: int = 5000) -> dict[str, float]:
    """Seconds to INSERT the ledger rows our run writes for n deposits, by bare SQL: n transfers
    and n tranches, in pages of `page` rows, into plain tables shaped like the ledger's (no
    constraints, triggers or indexes). Timed per table."""
    from django.db import connection
    from django.utils import timezone
    from psycopg2.extras import execute_values

    now = timezone.now()
    amount = Decimal("125.50")
    tables = {
        "transfer": (
            "INSERT INTO bench_transfer (debit_account_id, credit_account_id, amount, kind,"
            " idempotency_key, request_hash, cause, created_at) VALUES %s",
            lambda i: (1, 2 + i, amount, "deposit", f"bare:{i}", "0" * 64, f"bare:{i}", now),
        ),
        "tranche": (
            "INSERT INTO bench_tranche (account_id, funder_id, source, deposit_id, amount,"
            " remaining, ends_on, at_end, created_at) VALUES %s",
            lambda i: (2 + i, 1, "cao", i, amount, amount, None, "return", now),
        ),
    }
    seconds = {}
    with connection.cursor() as cur:
        for table, (sql, row) in tables.items():
            start = time.perf_counter()
            for offset in range(0, n, page):
                rows = [row(i) for i in range(offset, min(offset + page, n))]
                execute_values(cur, sql, rows, page_size=page)
            seconds[table] = time.perf_counter() - start
    return seconds


def peak_rss_mb(root: psutil.Process) -> float:
    """The highest VmHWM (peak resident set) among the worker's processes, in MB."""
    peak = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            with open(f"/proc/{proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    recreate_database()
    django.setup()

    from django.conf import settings
    from django.db import connection

    from leerportaal.celery import app
    from leerrekening.deposits import services as deposits
    from leerrekening.models import DepositBatch, Transfer
    from tests.support.processes import CeleryWorker, RedisServer, free_port, wait_for

    employer, funder = setup(args.lines)
    data = make_csv(args.lines)
    tmp = Path(tempfile.mkdtemp(prefix="bulkbench-"))
    redis = RedisServer(port=free_port(), directory=tmp).start()
    app.conf.broker_url = redis.url
    settings.CELERY_BROKER_URL = redis.url
    os.environ["DEPOSIT_BATCH_CHUNK_SIZE"] = str(args.chunk)
    os.environ["DEPOSIT_BATCH_WORKERS"] = str(args.concurrency)
    worker = CeleryWorker(
        redis_url=redis.url, log_path=tmp / "worker.log", concurrency=args.concurrency
    )
    # The worker's DATABASE_URL is the bench database (test_database_url reads the connection).
    worker.start()
    try:
        worker.wait_ready(app=None)
        root = psutil.Process(worker.process.pid)
        base_rss = peak_rss_mb(root)

        t0 = time.perf_counter()
        batch = deposits.deposit_batch_upload(
            funder=funder,
            employer=employer,
            stream=data,
            file_name="bench.csv",
            deposit_date=django.utils.timezone.localdate(),
            ends_on=None,
            at_end="return",
            by=None,
        )
        t_validate = time.perf_counter() - t0
        assert batch.status == "validated", batch.errors[:3]
        deposits.deposit_batch_confirm(batch=batch, by=None)
        wait_for(
            lambda: DepositBatch.objects.filter(pk=batch.pk, status="done").exists(),
            timeout=1800,
            interval=0.1,
            what="batch done",
        )
        elapsed = time.perf_counter() - t0
        t_apply = elapsed - t_validate
        peak = peak_rss_mb(root)
        applied = Transfer.objects.filter(kind="deposit").count()
        assert applied == args.lines, applied
    finally:
        worker.stop()
        redis.stop()
    bare_by_table = bare_sql_insert(args.lines)
    connection.close()

    bare = sum(bare_by_table.values())
    ours = args.lines / elapsed
    bare_rate = args.lines / bare  # deposits' worth of ledger rows per second
    transfers_only_rate = args.lines / bare_by_table["transfer"]
    result = {
        "lines": args.lines,
        "chunk": args.chunk,
        "worker_concurrency": args.concurrency,
        "validate_s": round(t_validate, 2),
        "apply_s": round(t_apply, 2),
        "total_s": round(elapsed, 2),
        "deposits_per_s": round(ours),
        "apply_only_deposits_per_s": round(args.lines / t_apply),
        "bare_sql_rows": 2 * args.lines,
        "bare_sql_s": round(bare, 2),
        "bare_sql_rows_per_s": round(2 * args.lines / bare),
        "ratio_vs_sql": round(ours / bare_rate, 3),
        "bare_sql_transfers_only_s": round(bare_by_table["transfer"], 2),
        "ratio_vs_sql_transfers_only": round(ours / transfers_only_rate, 3),
        "peak_rss_mb": round(peak, 1),
        "worker_rss_at_start_mb": round(base_rss, 1),
        "cpus": os.cpu_count(),
    }
    print(f"validate + store {args.lines} lines: {t_validate:.2f} s")
    print(f"apply through Celery: {t_apply:.2f} s")
    print(
        f"end to end: {ours:,.0f} deposits/s; bare SQL insert of the same {2 * args.lines:,}"
        f" ledger rows: {bare:.2f} s ({bare_rate:,.0f} deposits' worth per second)"
    )
    print(
        f"ratio vs bare SQL: {ours / bare_rate:.3f} (transfers only:"
        f" {ours / transfers_only_rate:.3f}); worker peak RSS {peak:.1f} MB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
