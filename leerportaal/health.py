"""Health checks for /health/: each returns quickly and never raises."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from celery import Celery
from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the detail says why
        return CheckResult("database", False, f"{type(exc).__name__}: {exc}".strip())
    return CheckResult("database", True, "ok")


def check_redis() -> CheckResult:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as exc:
        return CheckResult("redis", False, f"{type(exc).__name__}: {exc}".strip())
    return CheckResult("redis", True, "ok")


def check_celery(timeout: float = 2.0) -> CheckResult:
    """A worker answers a broadcast ping. Needs Redis, so it is down when Redis is."""
    # A throwaway app: the shared one keeps pooled connections that retry forever once its
    # broker went away, and a health check must answer within seconds.
    probe = Celery(
        "health",
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
        return CheckResult("celery", False, f"{type(exc).__name__}: {exc}".strip())
    finally:
        probe.close()
    if not replies:
        return CheckResult("celery", False, "no worker answered")
    return CheckResult("celery", True, f"{len(replies)} worker(s)")


def run_all() -> list[CheckResult]:
    return [check_database(), check_redis(), check_celery()]
