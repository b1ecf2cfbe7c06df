"""Backups of the database: a compressed `pg_dump` (custom format) in `.data/backups/`, and a
restore of one into the configured database (or another one) in a single transaction.

The dump and restore tools must be able to talk to the server: the same major version is best,
and a newer `pg_dump` can dump an older server. The embedded PostgreSQL's own tools come with the
pgserver wheel; a configured server is usually met by the machine's own `pg_dump` (Debian's
postgresql-client). We take, of those found, one with the server's major version, else the newest
one that is not older than the server.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from leerportaal import embedded


class BackupError(Exception):
    """A backup or restore could not run; the message says why and changes nothing."""


@dataclass(frozen=True)
class Tool:
    path: str
    major: int


def backup_dir() -> Path:
    path = embedded.data_dir() / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _candidates(name: str) -> list[str]:
    found = []
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    try:
        pgserver = embedded._import_pgserver()
        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
        if bundled.exists():
            found.append(str(bundled))
    except ImportError:
        pass
    return found


def _major_of(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out.stdout)
    return int(match.group(1)) if match else None


def server_major() -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def find_tool(name: str, *, server: int) -> Tool:
    tools = [Tool(path, major) for path in _candidates(name) if (major := _major_of(path))]
    for tool in tools:
        if tool.major == server:
            return tool
    newer = sorted((t for t in tools if t.major > server), key=lambda t: t.major, reverse=True)
    if newer:
        return newer[0]
    raise BackupError(
        f"No {name} for PostgreSQL {server} found (found: "
        f"{', '.join(f'{t.path} ({t.major})' for t in tools) or 'none'}). "
        "Install the PostgreSQL client tools of that version."
    )


def _environment(database: dict) -> dict[str, str]:
    # Connection settings by environment variables: a password never shows in a process list.
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if database.get(key):
            env[var] = str(database[key])
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    env["PGDATABASE"] = database["NAME"]
    return env


def backup_create(*, directory: Path | None = None, keep: int | None = None) -> Path:
    """Dump the database to `directory` (default `.data/backups/`) and return the file. The file
    appears complete or not at all (written under a temporary name, then renamed). `keep`: how
    many of the newest backups to keep there; older ones are removed."""
    directory = Path(directory) if directory else backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    database = connection.settings_dict
    tool = find_tool("pg_dump", server=server_major())
    stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = directory / f"leerportaal-{stamp}.dump"
    partial = target.with_suffix(".dump.partial")
    result = subprocess.run(
        [tool.path, "--format=custom", "--compress=6", "--no-owner", f"--file={partial}"],
        env=_environment(database),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.rename(target)
    if keep is not None:
        backups = sorted(directory.glob("leerportaal-*.dump"))
        for old in backups[: max(len(backups) - keep, 0)]:
            old.unlink()
    return target


def backup_restore(*, path: Path, database: dict | None = None) -> None:
    """Restore the dump at `path` into `database` (default: the configured one), replacing what
    is there, in one transaction: a restore that fails half way leaves the database as it was."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    database = database or connection.settings_dict
    tool = find_tool("pg_restore", server=server_major())
    listing = subprocess.run([tool.path, "--list", str(path)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a Leerportaal backup: {listing.stderr.strip()}")
    result = subprocess.run(
        [
            tool.path,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={database['NAME']}",
            str(path),
        ],
        env=_environment(database),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was changed: {result.stderr.strip()}")
