"""Health checks for /health/: each returns quickly and never raises.

The answer is public, so it names what is down and nothing more: never an exception's text (it
can hold a host, a user name or a path). The reason goes to the server log. Every check has its
own short timeouts (a server that does not answer at all must not hold the request for minutes)
and the checks run side by side, within DEADLINE seconds together.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import redis
from celery import Celery
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 2  # seconds, PostgreSQL and Redis
STATEMENT_TIMEOUT_MS = 2000
DEADLINE = 5.0  # seconds for all checks together
DOWN = "unreachable"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _down(name: str, exc: BaseException) -> CheckResult:
    logger.warning("health: %s is down", name, exc_info=exc)
    return CheckResult(name, False, DOWN)


def _database_params() -> dict:
    """The web's own connection settings (a separate connection, so its timeouts are short)."""
    return connection.get_connection_params()


def check_database() -> CheckResult:
    try:
        params = {
            **_database_params(),
            "connect_timeout": CONNECT_TIMEOUT,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        }
        conn = connection.Database.connect(**params)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            conn.close()
    except Exception as exc:  # any failure means "down"
        return _down("database", exc)
    return CheckResult("database", True, "ok")


def check_redis() -> CheckResult:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=CONNECT_TIMEOUT,
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return _down("redis", exc)
    return CheckResult("redis", True, "ok")


def check_celery(timeout: float = 2.0) -> CheckResult:
    """A worker answers a broadcast ping. Needs Redis, so it is down when Redis is."""
    # A throwaway app: the shared one keeps pooled connections that retry forever once its
    # broker went away, and a health check must answer within seconds. Never the current app:
    # shared tasks sent after a health check would otherwise go through this closed probe.
    probe = Celery(
        "health",
        set_as_current=False,
        broker=settings.CELERY_BROKER_URL,
        broker_connection_retry=False,
        broker_connection_max_retries=0,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 2},
    )
    try:
        with probe.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
            replies = probe.control.ping(timeout=timeout, connection=conn)
    except Exception as exc:
        return _down("celery", exc)
    finally:
        probe.close()
    if not replies:
        return CheckResult("celery", False, "no worker answered")
    return CheckResult("celery", True, f"{len(replies)} worker(s)")


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def run_all(deadline: float = DEADLINE) -> list[CheckResult]:
    """Every check, side by side; one that has not answered by the deadline counts as down."""
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    try:
        futures = {name: pool.submit(check) for name, check in CHECKS.items()}
        wait(futures.values(), timeout=deadline)
        results = []
        for name, future in futures.items():
            if future.done():
                results.append(future.result())
            else:
                logger.warning("health: %s did not answer within %.0f s", name, deadline)
                results.append(CheckResult(name, False, "timeout"))
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
