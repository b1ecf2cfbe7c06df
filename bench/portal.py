"""Portal figures: dashboard latency for a worker with a long history in a large ledger, and
bookings per second through the web layer (gunicorn over HTTP) with many concurrent clients.

Runs on a scratch database `<name>_portalbench` on the configured server (embedded by default),
which it recreates:

- background: `--background` transfers (default 1,000,000) made with INSERT ... SELECT
  generate_series, as valid ledger rows: half fundings (external -> funders), half deposits into
  background workers, each with its tranche and tranche movement, so ledger_check holds;
- the measured worker: `--history` transfers (default 10,000) made through the ledger service
  (deposits, then reservations and their voids);
- dashboard: `--dashboard-requests` GETs of /mijn-leerrekening/ through Django's full handler
  (middleware, session, templates) in this process, after a warm-up; p50/p95. Then as many
  again with the balance chart computed on every request (its cache, per version of the
  account, left out), which is what the first view after money moved costs;
- bookings: gunicorn serving the portal with the project's gunicorn.conf.py (gthread; one
  process per CPU, 16 threads each, as in production); `--clients` threads, each with its own keep-alive
  HTTP connection and its own signed-in workers, POST the booking form for `--seconds`, after
  `--warmup` seconds (default 2) that are not counted: there each gunicorn thread opens its
  database connection and prepares its statements, which a running portal has long done.
  The fresh confirmation is the e-mailed one-time code (HMAC-checked, single use); the codes
  are issued in the setup, as if the e-mails had arrived. The password route costs one PBKDF2
  hash per booking; its CPU time is printed separately.
- the notification e-mails are sent as in production: a real Celery worker (prefork, one process
  per CPU, as docker-compose runs it) on the same machine, fed through a private Redis that is
  also the portal's cache and session store (locmem mail backend: messages are built, not
  delivered). The clock stops only when every booking's e-mail is sent: bookings_per_s is the
  bookings made divided by the time from the first request until the last of their e-mails
  left, so the worker's share of the CPU and its backlog are counted. (Until issue 5's third
  session the bench ran tasks eagerly inside gunicorn, which left out the broker round trip
  and the worker's own cost.)
- the baseline, in the same run: the same clients send the same requests for as long to a WSGI
  app that only answers 302 (bench/bare_wsgi.py) behind the same gunicorn settings: the ceiling
  of HTTP, gunicorn and the clients on this machine (`baseline_bare_wsgi_per_s`;
  `ratio_vs_bare_wsgi` is bookings/s divided by it);
- the CPU split: every process's CPU time on the machine (from /proc) at the end of the warm-up
  and at the last response, by role (gunicorn, postgres, celery, redis, bench_clients, other),
  per measured booking (`cpu_ms_per_booking`), and how busy the cores were (`cpu_busy_pct`):
  where a booking's cost goes, and whether the run was CPU-bound;
- afterwards ledger_check must be clean, every booking must have exactly its reservation, and
  exactly one notification that is marked e-mailed.

- scaling out on one machine: `--web-instances 2 --celery-workers 2` runs two gunicorn
  instances (each with gunicorn.conf.py, on ports 8765 and 8766; clients alternate between
  them as a round-robin load balancer would) and two Celery worker processes (each prefork, one
  process per CPU): what two web and two worker replicas do (README, "Scaling").

Usage: .venv/bin/python bench/portal.py [--background 1000000] [--clients 32] [--seconds 10]
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerportaal.settings")

from leerportaal import embedded  # noqa: E402

embedded.ensure_environ()
_url = urlsplit(os.environ["DATABASE_URL"])
BENCH_DB = _url.path.lstrip("/") + "_portalbench"
os.environ["DATABASE_URL"] = urlunsplit(_url._replace(path="/" + BENCH_DB))
# Bench settings, for this process and the gunicorn it starts: production-like, plain http.
BENCH_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "portal-bench-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "CONN_MAX_AGE": "600",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "CELERY_VISIBILITY_TIMEOUT": "3600",
    "BOOKING_MAX_PER_COURSE_PER_PERIOD": "1000000",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(BENCH_ENV)

import django  # noqa: E402
import psycopg2  # noqa: E402

from tests.support.processes import CeleryWorker, RedisServer, free_port  # noqa: E402

PORT = 8765
CODE = "424242"


def log(message: str) -> None:
    print(message, flush=True)


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


def build_background(n: int) -> None:
    """n valid ledger transfers by set-based SQL: n/2 fundings, n/2 deposits with tranches."""
    from django.db import connection, transaction

    from accounts.models import User
    from leerrekening import ledger
    from leerrekening.models import Funder

    funders = [
        Funder.objects.create(name=f"Achtergrondfonds {i}", kind=Funder.Kind.SECTOR_FUND)
        for i in range(100)
    ]
    funder_accounts = [ledger.account_for_funder(funder=f).pk for f in funders]
    external = ledger.external_account().pk
    n_workers = 5000
    User.objects.bulk_create(
        [
            User(email=f"achtergrond{i}@bench.nl", full_name=f"Achtergrond {i}", password="!")
            for i in range(n_workers)
        ],
        batch_size=5000,
    )
    worker_ids = list(User.objects.filter(email__endswith="@bench.nl").values_list("pk", flat=True))
    ledger.accounts_for_workers(worker_ids=worker_ids)
    fundings, deposits = n - n // 2, n // 2
    with transaction.atomic(), connection.cursor() as cur:
        # Fundings: external -> one of 100 funders, EUR 10 each, spread over two years.
        cur.execute(
            "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,"
            " idempotency_key, request_hash, cause, created_at)"
            " SELECT %s, (%s::bigint[])[1 + g %% 100], 10.00, 'funding', 'bg-fund-' || g, 'bench',"
            " '', now() - (g %% 730) * interval '1 day' FROM generate_series(1, %s) g",
            [external, funder_accounts, fundings],
        )
        cur.execute(
            "CREATE TEMP TABLE bg_workers AS SELECT row_number() OVER (ORDER BY id) AS n, id"
            " FROM leerrekening_ledgeraccount WHERE kind = 'worker'"
        )
    # Deposits: funder -> background worker, EUR 1 each, with tranche and movement; in chunks,
    # because the statement-level balance and remainder triggers grow worse than linearly with
    # one huge statement (measured: 500,000 movements in one INSERT took over 10 minutes).
    chunk = 50_000
    for first in range(1, deposits + 1, chunk):
        last = min(first + chunk - 1, deposits)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount,"
                " kind, idempotency_key, request_hash, cause, created_at)"
                " SELECT (%s::bigint[])[1 + g %% 100], w.id, 1.00, 'deposit', 'bg-dep-' || g,"
                " 'bench', '', now() - (g %% 730) * interval '1 day'"
                " FROM generate_series(%s, %s) g JOIN bg_workers w ON w.n = 1 + g %% %s",
                [funder_accounts, first, last, n_workers],
            )
            cur.execute(
                "INSERT INTO leerrekening_tranche (account_id, funder_id, source, deposit_id,"
                " amount, remaining, ends_on, at_end, created_at)"
                " SELECT t.credit_account_id, a.funder_id, 'sector', t.id, t.amount, t.amount, NULL,"
                " 'keep', t.created_at FROM leerrekening_transfer t"
                " JOIN leerrekening_ledgeraccount a ON a.id = t.debit_account_id"
                " WHERE t.idempotency_key = ANY(%s)",
                [[f"bg-dep-{g}" for g in range(first, last + 1)]],
            )
            cur.execute(
                "INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)"
                " SELECT deposit_id, id, amount FROM leerrekening_tranche"
                " WHERE id > (SELECT coalesce(max(tranche_id), 0) FROM leerrekening_tranchemovement)"
            )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def build_measured_worker(history: int):
    """A worker with `history` transfers through the ledger service: deposits, reservations, voids."""
    from accounts.models import User
    from leerrekening import ledger
    from leerrekening.models import Funder
    from tests.factories import TEST_PASSWORD

    funder = Funder.objects.create(name="Sectorfonds Bench", kind=Funder.Kind.SECTOR_FUND)
    ledger.funding_record(funder=funder, amount=Decimal("100000000"), idempotency_key="bench-f")
    worker = User.objects.create_user(
        email="gemeten@bench.nl", password=TEST_PASSWORD, full_name="Gemeten Werkende"
    )
    provider = build_catalogue(courses=1)[0].provider
    deposits = history // 5
    lines = [
        ledger.DepositLine(
            worker_id=worker.pk, amount=Decimal("100.00"), idempotency_key=f"bench-d{i}"
        )
        for i in range(deposits)
    ]
    ledger.deposits_create(funder=funder, lines=lines)
    for i in range((history - deposits) // 2):
        reservation = ledger.reservation_create(
            worker=worker, provider=provider, amount=Decimal("25.00"), idempotency_key=f"br{i}"
        )
        ledger.reservation_void(reservation=reservation, idempotency_key=f"bv{i}")
    return worker, funder


def build_catalogue(courses: int):
    import datetime

    from django.utils import timezone

    from leerrekening.models import Course, Provider

    provider, _ = Provider.objects.get_or_create(
        kvk_number="99887766",
        defaults={"name": "Bench Opleider", "quality_mark": "NRTO", "approved_at": timezone.now()},
    )
    start = timezone.localdate() + datetime.timedelta(days=60)
    existing = Course.objects.filter(provider=provider).count()
    Course.objects.bulk_create(
        [
            Course(
                provider=provider, title=f"Bench cursus {i}", description="Lassen en meer.",
                price=Decimal("100.00"), format="online", duration_hours=8, start_date=start,
                capacity=100000, approved_at=timezone.now(),
            )
            for i in range(existing, existing + courses)
        ]
    )  # fmt: skip
    return list(Course.objects.filter(provider=provider).order_by("id"))


def build_booking_workers(count: int, funder) -> list[tuple[str, list[int]]]:
    """`count` workers with EUR 1,000 each, a signed-in session, and e-mailed codes ready."""
    import datetime
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from accounts.models import User
    from leerrekening import ledger
    from leerrekening.bookings.confirmation import code_hash
    from leerrekening.models import OneTimeCode

    User.objects.bulk_create(
        [
            User(email=f"boeker{i}@bench.nl", full_name=f"Boeker {i}", password="!")
            for i in range(count)
        ]
    )
    workers = list(User.objects.filter(email__startswith="boeker").order_by("pk"))
    ledger.deposits_create(
        funder=funder,
        lines=[
            ledger.DepositLine(worker_id=w.pk, amount=Decimal("1000"), idempotency_key=f"bb{w.pk}")
            for w in workers
        ],
    )
    expires = timezone.now() + datetime.timedelta(hours=2)
    # Three codes per worker (one per booking; each works once), as if three e-mails arrived.
    OneTimeCode.objects.bulk_create(
        [
            OneTimeCode(
                user=w, purpose="booking", code_hash=code_hash(user_id=w.pk, code=CODE),
                expires_at=expires,
            )
            for w in workers
            for _ in range(3)
        ]
    )  # fmt: skip
    # Signed in as a login would: through the configured session engine (cached_db: Redis and
    # PostgreSQL).
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for w in workers:
        store = session_store()
        store[SESSION_KEY] = str(w.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = w.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    return sessions


def measure_dashboard(worker, requests: int, *, chart_cached: bool = True) -> tuple[float, float]:
    """p50/p95 of the dashboard. The balance chart is cached per version of the account (a
    reload while no money moves); with chart_cached=False every request computes it afresh, as
    the first view after a transfer does."""
    from unittest import mock

    from django.test import Client

    from leerrekening import selectors_portal

    if not chart_cached:
        with mock.patch.object(selectors_portal, "cache_get", return_value=None):
            return measure_dashboard(worker, requests)
    client = Client()
    client.force_login(worker)
    for _ in range(20):
        assert client.get("/mijn-leerrekening/").status_code == 200
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/mijn-leerrekening/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return percentile(timings, 50), percentile(timings, 95)


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 1)


def start_gunicorn(
    workers: int | None,
    threads: int | None,
    app: str = "leerportaal.wsgi:application",
    port: int = PORT,
) -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py (what production runs), on the bench's port
    (or `port`: a second instance, as a second web replica); --gunicorn-workers/--gunicorn-threads
    override it for experiments only."""
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": os.environ["DATABASE_URL"]}
    overrides = []
    if workers:
        overrides += ["--workers", str(workers)]
    if threads:
        overrides += ["--threads", str(threads)]
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"), app,
            "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *overrides,
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/inloggen/")
            if conn.getresponse().status in (200, 302):
                return process
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def client_loop(
    sessions, courses, measure_from, stop_at, results, lock, *, repeat=False, port=PORT
):
    """Books until stop_at (or every session booked every course); requests sent before
    measure_from (the warm-up) are made and checked like the rest but left out of the figures.
    repeat: start over with the first session when all are used (the bare baseline books
    nothing). port: the web instance this client talks to (a load balancer's share)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts it unmasked in the form
    ok = failed = measured = 0
    timings = []
    for session in itertools.cycle(sessions) if repeat else sessions:
        if time.time() >= stop_at:
            break
        for course_id in courses:
            if time.time() >= stop_at:
                break
            body = urlencode({
                "csrfmiddlewaretoken": csrf, "request_token": uuid.uuid4().hex,
                "work_related": "yes", "confirm_with": "code", "code": CODE,
            })  # fmt: skip
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
            }
            counted = time.time() >= measure_from
            started = time.perf_counter()
            conn.request("POST", f"/opleidingen/{course_id}/boeken/", body, headers)
            response = conn.getresponse()
            response.read()
            if counted:
                timings.append((time.perf_counter() - started) * 1000)
            if response.status == 302:
                ok += 1
                measured += counted
            else:
                failed += 1
    conn.close()
    with lock:
        results["ok"] += ok
        results["measured"] += measured
        results["failed"] += failed
        results["timings"] += timings


# Who used the CPU while bookings were measured, by the command line of each process on the
# machine (the bench, its gunicorn, Celery worker, Redis and the database all share the cores).
CPU_ROLES = (
    ("gunicorn", "gunicorn"),
    ("celery", "celery"),
    ("redis", "redis-server"),
    ("postgres", "postgres"),
)


def cpu_ticks_by_process() -> dict[int, tuple[str, int]]:
    """{pid: (role, clock ticks of user + system CPU so far)} for every process on the machine."""
    own = os.getpid()
    ticks = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        pid = int(entry.name)
        role = "bench_clients" if pid == own else "other"
        for name, marker in CPU_ROLES:
            if marker in command:
                role = name
                break
        ticks[pid] = (role, int(fields[11]) + int(fields[12]))  # utime, stime
    return ticks


def cpu_split(before: dict, after: dict, *, seconds: float, bookings: int) -> dict:
    """CPU milliseconds per booking by role between two snapshots, and how busy the machine's
    cores were. A process started in between counts in full; one that ended in between is left
    out (none of the bench's own processes end while it measures)."""
    per_role: dict[str, float] = {}
    for pid, (role, ticks) in after.items():
        used = ticks - before.get(pid, (role, 0))[1]
        per_role[role] = per_role.get(role, 0) + used
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    split = {
        role: round(used * tick_ms / max(bookings, 1), 2)
        for role, used in sorted(per_role.items(), key=lambda item: -item[1])
    }
    split["total"] = round(sum(per_role.values()) * tick_ms / max(bookings, 1), 2)
    busy = sum(per_role.values()) * tick_ms / (seconds * 1000 * len(os.sched_getaffinity(0)))
    return {"cpu_ms_per_booking": split, "cpu_busy_pct": round(busy * 100, 1)}


def measure_bookings(
    sessions,
    course_ids,
    clients: int,
    seconds: float,
    *,
    warmup: float = 0,
    wait_for_emails: bool = True,
    repeat: bool = False,
    ports: tuple[int, ...] = (PORT,),
):
    """Books for `warmup` + `seconds`. Returns the clients' results ("measured": the bookings sent
    after the warm-up; "timings": theirs; "cpu": cpu_split over the measured window), and the
    seconds from the end of the warm-up until the last response and until the last booking
    e-mail was sent (the worker may still be busy when the clients stop)."""
    per_client = [sessions[i::clients] for i in range(clients)]
    results = {"ok": 0, "measured": 0, "failed": 0, "timings": []}
    lock = threading.Lock()
    measure_from = time.time() + warmup
    stop_at = measure_from + seconds
    threads = []
    snapshots = {}

    def snapshot_at_measure_from():
        time.sleep(max(0.0, measure_from - time.time()))
        snapshots["from"] = cpu_ticks_by_process()

    sampler = threading.Thread(target=snapshot_at_measure_from)
    sampler.start()
    for i in range(clients):
        # Each worker books 3 different courses (the pending cap); clients spread over courses.
        courses = [course_ids[(i * 3 + k) % len(course_ids)] for k in range(3)]
        thread = threading.Thread(
            target=client_loop,
            args=(per_client[i], courses, measure_from, stop_at, results, lock),
            # Clients spread over the web instances, as a round-robin load balancer would.
            kwargs={"repeat": repeat, "port": ports[i % len(ports)]},
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    elapsed = time.time() - measure_from
    sampler.join()
    results["cpu"] = cpu_split(
        snapshots["from"], cpu_ticks_by_process(), seconds=elapsed, bookings=results["measured"]
    )
    if wait_for_emails:
        wait_for_booking_emails(expected=results["ok"])
    return results, elapsed, time.time() - measure_from


def booking_notifications():
    from leerrekening.models import Notification

    return Notification.objects.filter(
        dedupe_key__startswith="booking:", dedupe_key__endswith=":created", kind="booking"
    )


def wait_for_booking_emails(*, expected: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        notices = booking_notifications()
        if notices.count() >= expected and not notices.filter(emailed_at__isnull=True).exists():
            return
        time.sleep(0.05)
    raise RuntimeError("the booking e-mails were not all sent within the timeout")


def password_check_ms() -> float:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    user = User(password=make_password("Een-lang-testwachtwoord-2026"))
    started = time.perf_counter()
    for _ in range(3):
        user.check_password("Een-lang-testwachtwoord-2026")
    return round((time.perf_counter() - started) * 1000 / 3, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--background", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--dashboard-requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    # Not counted: each gunicorn thread opens its database connection and prepares its statements
    # on its first requests, which a running portal has long done.
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--booking-workers", type=int, default=3000)
    parser.add_argument("--courses", type=int, default=200)
    # Default: gunicorn.conf.py, as in production.
    parser.add_argument("--gunicorn-workers", type=int, default=None)
    parser.add_argument("--gunicorn-threads", type=int, default=None)
    # Scaling out on one machine: several gunicorn instances (each with gunicorn.conf.py, as
    # web replicas behind a load balancer) and several Celery worker processes (worker replicas).
    parser.add_argument("--web-instances", type=int, default=1)
    parser.add_argument("--celery-workers", type=int, default=1)
    options = parser.parse_args()

    # A private Redis: the broker between gunicorn and the worker, and their cache and sessions.
    # Before the settings are read, so this process uses it too.
    scratch = Path(tempfile.mkdtemp(prefix="portalbench-"))
    redis = RedisServer(port=free_port(), directory=scratch).start()
    os.environ["REDIS_URL"] = redis.url
    try:
        run(options, scratch)
    finally:
        redis.stop()


def run(options, scratch: Path) -> None:
    recreate_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.time()
    build_background(options.background)
    log(f"background: {options.background} transfers in {time.time() - started:.0f} s")
    started = time.time()
    worker, funder = build_measured_worker(options.history)
    log(f"measured worker: {options.history} transfers in {time.time() - started:.0f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM leerrekening_transfer")
        total = cur.fetchone()[0]
        cur.execute("VACUUM ANALYZE")

    p50, p95 = measure_dashboard(worker, options.dashboard_requests)
    log(f"dashboard ({total} transfers in the ledger): p50 {p50} ms, p95 {p95} ms")
    uncached_p50, uncached_p95 = measure_dashboard(
        worker, options.dashboard_requests, chart_cached=False
    )
    log(f"dashboard, chart computed every time: p50 {uncached_p50} ms, p95 {uncached_p95} ms")

    courses = build_catalogue(options.courses)
    course_ids = [c.pk for c in courses]
    sessions = build_booking_workers(options.booking_workers, funder)
    # As docker-compose runs it: prefork, one process per CPU (each replica).
    workers = [
        CeleryWorker(
            redis_url=os.environ["REDIS_URL"], log_path=scratch / f"worker-{n}.log",
            concurrency=len(os.sched_getaffinity(0)),
        ).start()
        for n in range(options.celery_workers)
    ]  # fmt: skip
    ports = tuple(PORT + n for n in range(options.web_instances))
    try:
        for worker in workers:
            worker.wait_ready(app=None)
        connections.close_all()
        servers = [
            start_gunicorn(options.gunicorn_workers, options.gunicorn_threads, port=port)
            for port in ports
        ]
        try:
            results, responded, elapsed = measure_bookings(
                sessions,
                course_ids,
                options.clients,
                options.seconds,
                warmup=options.warmup,
                ports=ports,
            )
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    finally:
        for worker in workers:
            worker.stop()
    # The baseline, in the same run: the same clients, requests, gunicorn settings and instances
    # against a WSGI app that only answers (bench/bare_wsgi.py), for as long.
    servers = [
        start_gunicorn(
            options.gunicorn_workers,
            options.gunicorn_threads,
            app="bench.bare_wsgi:application",
            port=port,
        )
        for port in ports
    ]
    try:
        bare, _, bare_elapsed = measure_bookings(
            sessions,
            course_ids,
            options.clients,
            options.seconds,
            warmup=options.warmup,
            wait_for_emails=False,
            repeat=True,
            ports=ports,
        )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    bare_per_s = bare["measured"] / bare_elapsed
    log(
        f"baseline, bare WSGI app behind the same gunicorn: {bare_per_s:.0f} requests/s,"
        f" p95 {percentile(bare['timings'], 95)} ms"
    )
    per_s = results["measured"] / elapsed
    booking_p50 = percentile(results["timings"], 50)
    booking_p95 = percentile(results["timings"], 95)
    log(
        f"bookings: {results['measured']} in {elapsed:.1f} s = {per_s:.1f}/s with {options.clients}"
        f" clients (last response after {responded:.1f} s, last e-mail {elapsed - responded:.2f} s"
        f" later), p50 {booking_p50} ms, p95 {booking_p95} ms, {results['failed']} refused"
    )

    from leerrekening.models import Booking, Reservation

    with open(os.devnull, "w") as devnull:
        call_command("ledger_check", stdout=devnull)  # raises if the run broke the books
    made = Booking.objects.filter(email_domain_filter()).count()
    open_reservations = Reservation.objects.filter(booking__in=Booking.objects.all()).count()
    assert made == results["ok"] == open_reservations, (made, results["ok"], open_reservations)
    emailed = booking_notifications().filter(emailed_at__isnull=False).count()
    assert emailed == made, (emailed, made)
    figures = {
        "ledger_transfers": total,
        "worker_transfers": options.history,
        "dashboard_p50_ms": p50,
        "dashboard_p95_ms": p95,
        "dashboard_chart_uncached_p50_ms": uncached_p50,
        "dashboard_chart_uncached_p95_ms": uncached_p95,
        "bookings_per_s": round(per_s, 1),
        "booking_p50_ms": booking_p50,
        "booking_p95_ms": booking_p95,
        "bookings_refused": results["failed"],
        "baseline_bare_wsgi_per_s": round(bare_per_s, 1),
        "baseline_bare_wsgi_p95_ms": percentile(bare["timings"], 95),
        "ratio_vs_bare_wsgi": round(per_s / bare_per_s, 3),
        "booking_emails_sent": emailed,
        "email_drain_s": round(elapsed - responded, 2),
        "clients": options.clients,
        "web_instances": options.web_instances,
        "celery_workers": options.celery_workers,
        "warmup_s": options.warmup,
        "bookings_in_warmup": results["ok"] - results["measured"],
        "confirmation": "one-time code",
        "password_check_ms": password_check_ms(),
        # While bookings were measured (until the last response): who used the cores.
        **results["cpu"],
        "cpus": os.cpu_count(),
        "ledger_check": "ok",
    }
    print(json.dumps(figures))


def email_domain_filter():
    from django.db.models import Q

    return Q(worker__email__endswith="@bench.nl")


if __name__ == "__main__":
    main()
