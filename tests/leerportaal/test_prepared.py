"""Prepared statements (leerportaal/prepared.py): prepared once per connection, run by name, and
still right after an error, a rollback or a new connection."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from leerportaal import prepared

pytestmark = pytest.mark.django_db


def server_prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_named_and_positional_placeholders_become_parameters():
    with connection.cursor() as cursor:
        prepared.execute(cursor, "SELECT %(a)s::int + %(b)s::int, %(a)s::int", {"a": 2, "b": 3})
        assert cursor.fetchone() == (5, 2)
        prepared.execute(cursor, "SELECT %s::int * %s::int, 7 %% 4", [6, 7])
        assert cursor.fetchone() == (42, 3)


def test_a_statement_is_prepared_once_per_connection_and_then_run_by_name():
    sql = "SELECT %s::int + 1"
    name = prepared._compile(sql)[0]
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [1])
        assert cursor.fetchone() == (2,)
        assert name in server_prepared()
        prepared.execute(cursor, sql, [41])  # no second PREPARE: that would be an error
        assert cursor.fetchone() == (42,)


def test_several_statements_run_in_one_round_trip_and_share_the_parameters():
    with connection.cursor() as cursor:
        prepared.execute(
            cursor, ["SELECT %(x)s::int", "SELECT %(x)s::int * %(y)s::int"], {"x": 3, "y": 5}
        )
        assert cursor.fetchone() == (15,)


def test_after_a_failing_statement_the_next_call_still_works():
    sql = "SELECT 10 / %s::int"
    with connection.cursor() as cursor:
        # The PREPARE succeeds, its EXECUTE fails: the statement exists on the server now.
        with pytest.raises(DatabaseError), transaction.atomic():
            prepared.execute(cursor, sql, [0])
        prepared.execute(cursor, sql, [5])
        assert cursor.fetchone() == (2,)


def test_a_new_connection_prepares_again():
    sql = "SELECT %s::int - 1"
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [1])
    name = prepared._compile(sql)[0]
    # A new server session (after CONN_MAX_AGE, a dropped connection) has no statements; its
    # psycopg2 connection is another object than the one the statements were prepared on.
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
        _, names, trusted = cursor.db.__dict__[prepared._STATE]
        cursor.db.__dict__[prepared._STATE] = (object(), names, trusted)
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [10])
        assert cursor.fetchone() == (9,)
    assert name in server_prepared()
