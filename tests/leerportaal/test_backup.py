"""Backup and restore: a dump restored into a scratch database has the same books, and
`ledger_check` holds on it; a file that is not a backup is refused and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from urllib.parse import quote

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from leerportaal import backup
from leerrekening.models import Transfer
from tests import factories
from tests.support.funding import fund

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _admin_connection():
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


@pytest.fixture
def scratch_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield {**connection.settings_dict, "NAME": name}
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def database_url(database: dict) -> str:
    host = quote(str(database.get("HOST") or ""), safe="")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    user = quote(database.get("USER") or "postgres", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


def count_in(database: dict, table: str) -> int:
    params = connection.get_connection_params()
    params["dbname"] = database["NAME"]
    with psycopg2.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 — a fixed table name
        count = cursor.fetchone()[0]
    conn.close()
    return count


def test_a_backup_restored_into_a_scratch_database_keeps_the_books(tmp_path, scratch_database):
    worker = factories.UserFactory()
    fund("250.00", worker=worker)
    fund("100.00", worker=worker)
    entries = Transfer.objects.count()
    assert entries > 0

    dump = backup.backup_create(directory=tmp_path)
    backup.backup_restore(path=dump, database=scratch_database)

    assert dump.parent == tmp_path
    assert dump.name.startswith("leerportaal-")
    assert dump.name.endswith(".dump")
    assert count_in(scratch_database, "leerrekening_transfer") == entries
    check = subprocess.run(
        [sys.executable, "manage.py", "ledger_check"],
        env={**os.environ, "DATABASE_URL": database_url(scratch_database)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ledger invariants hold" in check.stdout
    # The scratch copy has the worker's money, to the cent.
    params = connection.get_connection_params()
    params["dbname"] = scratch_database["NAME"]
    with psycopg2.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT balance FROM leerrekening_ledgeraccount WHERE worker_id = %s", [worker.pk]
        )
        assert cursor.fetchone()[0] == Decimal("350.00")
    conn.close()


def test_backup_command_keeps_only_the_newest(tmp_path):
    for _ in range(3):
        call_command("backup", directory=tmp_path, keep=2)

    assert len(list(tmp_path.glob("leerportaal-*.dump"))) == 2
    assert list(tmp_path.glob("*.partial")) == []


def test_restoring_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(
    tmp_path, scratch_database
):
    fund("50.00", worker=factories.UserFactory())
    before = Transfer.objects.count()
    not_a_backup = tmp_path / "leerportaal-evil.dump"
    not_a_backup.write_text("DROP TABLE leerrekening_transfer;")

    with pytest.raises(CommandError, match="not a Leerportaal backup"):
        call_command("restore", str(not_a_backup), yes=True)
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "missing.dump"), yes=True)

    assert Transfer.objects.count() == before
