"""Prometheus metrics at /metrics, for the people who run the portal.

- Per process (every gunicorn worker, the Celery worker) and summed over them: requests by view
  and status and their latency, Celery tasks by outcome. The processes write to
  PROMETHEUS_MULTIPROC_DIR (settings: `.data/metrics` by default; a shared volume when web and
  worker run in separate containers); `runall` empties it when it starts them.
- From the database when scraped: bookings by status, deposit batches and the deposits they
  applied, the progress of running batches, the last `ledger_check`.

Nothing personal: labels are view names, statuses, task names and batch ids, never an address,
a name or a code. Answered only with `Authorization: Bearer <METRICS_TOKEN>`; without a
configured token, or with another one, it is a plain 404.
"""

from __future__ import annotations

import hmac
import os
import socket
import time

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

# Each process's file is named by host and pid: replicas in containers share the folder (a
# volume) and may have the same pids.
values.ValueClass = values.MultiProcessValue(
    process_identifier=lambda: f"{socket.gethostname()}-{os.getpid()}"
)

REQUESTS = Counter(
    "leerportaal_http_requests",
    "HTTP requests answered, by view (URL name) and status code.",
    ["method", "view", "status"],
)
REQUEST_SECONDS = Histogram(
    "leerportaal_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2, 5, 10),
)
TASKS = Counter(
    "leerportaal_celery_tasks",
    "Celery tasks finished, by task and outcome (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "outcome"],
)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class MetricsMiddleware:
    """Counts and times every request. Outermost, so error pages and redirects count too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The URL's name, not its path: ids in paths would make a metric per booking.
        view = (match.view_name or "unnamed") if match else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, view, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(method, view).observe(time.perf_counter() - started)
        return response


def task_finished(sender=None, task=None, state=None, **kwargs):
    """celery's task_postrun (connected in leerportaal/celery.py)."""
    TASKS.labels(getattr(task, "name", "unknown"), state or "unknown").inc()


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


class DatabaseCollector:
    """Figures read from the database at scrape time: a few grouped counts on small tables (and
    one over bookings), so a scrape every 15 seconds costs the database little."""

    def collect(self):
        bookings = GaugeMetricFamily(
            "leerportaal_bookings", "Bookings by status.", labels=["status"]
        )
        for status, count in _rows(
            "SELECT status, count(*) FROM leerrekening_booking GROUP BY status ORDER BY status"
        ):
            bookings.add_metric([status], count)
        yield bookings

        batches = GaugeMetricFamily(
            "leerportaal_deposit_batches", "Deposit batches by status.", labels=["status"]
        )
        deposits = CounterMetricFamily(
            "leerportaal_deposits_applied", "Deposits applied by batches (lines)."
        )
        deposited = CounterMetricFamily(
            "leerportaal_deposited_euros", "Euros deposited into learning accounts by batches."
        )
        applied = amount = 0
        for status, count, lines, euros in _rows(
            "SELECT status, count(*), coalesce(sum(lines_applied), 0),"
            " coalesce(sum(amount_applied), 0)"
            " FROM leerrekening_depositbatch GROUP BY status ORDER BY status"
        ):
            batches.add_metric([status], count)
            applied += lines
            amount += euros
        deposits.add_metric([], applied)
        deposited.add_metric([], float(amount))
        yield batches
        yield deposits
        yield deposited

        progress = GaugeMetricFamily(
            "leerportaal_deposit_batch_progress_ratio",
            "Share of the lines applied, per confirmed or running batch.",
            labels=["batch"],
        )
        for batch_id, lines, done in _rows(
            "SELECT id, line_count, lines_applied FROM leerrekening_depositbatch"
            " WHERE status IN ('confirmed', 'running') ORDER BY id"
        ):
            progress.add_metric([str(batch_id)], done / lines if lines else 0.0)
        yield progress

        last = _rows(
            "SELECT extract(epoch FROM ran_at), ok, jsonb_array_length(broken)"
            " FROM leerrekening_ledgercheckrun ORDER BY ran_at DESC LIMIT 1"
        )
        ok = GaugeMetricFamily(
            "leerportaal_ledger_check_ok",
            "1 when the last ledger_check found every invariant holding, 0 when not (absent: "
            "never run).",
        )
        ran_at = GaugeMetricFamily(
            "leerportaal_ledger_check_last_run_timestamp_seconds",
            "When ledger_check last ran (Unix time).",
        )
        broken = GaugeMetricFamily(
            "leerportaal_ledger_check_broken", "Invariants the last ledger_check found broken."
        )
        if last:
            epoch, was_ok, broken_count = last[0]
            ok.add_metric([], 1 if was_ok else 0)
            ran_at.add_metric([], float(epoch))
            broken.add_metric([], broken_count)
        yield ok
        yield ran_at
        yield broken


def _authorised(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    supplied = request.headers.get("Authorization", "")
    return hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())


@require_GET
@never_cache
def metrics_view(request):
    if not _authorised(request):
        raise Http404
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
