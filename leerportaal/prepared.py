"""Server-side prepared statements for the hot statements of a booking.

psycopg2 sends every statement as text, so PostgreSQL parses and plans it on every call; for the
booking's plain-SQL statements that was most of their database cost (booking_create's
lock-and-read: ~380 us of PostgreSQL CPU as text, ~100 us prepared). Each statement is prepared
once per database connection, in the same round trip as its first run (PREPARE outlives
transactions, rollbacks included, and ends with the connection), then run by name.

The SQL keeps psycopg2's placeholders (%s or %(name)s); they become $1, $2, ... for PREPARE, and
PostgreSQL infers each parameter's type from where it stands (cast it where it cannot).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

_PLACEHOLDER = re.compile(r"%%|%s|%\((\w+)\)s")


@lru_cache(maxsize=256)
def _compile(sql: str) -> tuple[str, str, tuple[str, ...] | int]:
    """(name, PREPARE text, parameter names in $-order or the number of positional ones)."""
    name = "lp_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    names: list[str] = []
    positional = 0

    def replace(match: re.Match) -> str:
        nonlocal positional
        if match.group(0) == "%%":
            return "%%"  # still passed through psycopg2's interpolation, with the EXECUTE
        if match.group(1) is None:
            positional += 1
            return f"${positional}"
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    body = _PLACEHOLDER.sub(replace, sql)
    if names and positional:
        raise ValueError("mixed %s and %(name)s placeholders")
    return name, f"PREPARE {name} AS {body}", tuple(names) if names else positional


def execute(cursor, statements: str | Sequence[str], params: Mapping | Sequence = ()) -> None:
    """Run one statement, or several in one round trip (the cursor holds the last one's rows),
    each as a prepared statement of this connection. All statements share `params`: a mapping
    for %(name)s placeholders, or a sequence for %s, consumed statement by statement."""
    if isinstance(statements, str):
        statements = [statements]
    db = cursor.db  # this thread's DatabaseWrapper (django.db.connection is a shared proxy)
    prepared = _prepared_on_connection(db)
    parts: list[str] = []
    args: list = []
    offset = 0
    for sql in statements:
        name, prepare, wanted = _compile(sql)
        if name not in prepared:
            parts.append(prepare)
        if isinstance(wanted, int):
            placeholders = ["%s"] * wanted
            args.extend(params[offset : offset + wanted])
            offset += wanted
        else:
            placeholders = [f"%({key})s" for key in wanted]
        parts.append(
            f"EXECUTE {name} ({', '.join(placeholders)})" if placeholders else f"EXECUTE {name}"
        )
    try:
        cursor.execute("; ".join(parts), params if isinstance(params, Mapping) else args)
    except Exception:
        if any(part.startswith("PREPARE") for part in parts):
            # A PREPARE before the failing statement stays (it outlives errors and rollbacks);
            # one that failed never happened. Ask the server before the next PREPARE.
            db.__dict__[_STATE] = (db.connection, prepared, False)
        raise
    prepared.update(_compile(sql)[0] for sql in statements)


_STATE = "_leerportaal_prepared"


def _prepared_on_connection(db) -> set[str]:
    """The statements prepared on the current database connection; a new connection has none."""
    raw = db.connection
    state = db.__dict__.get(_STATE)
    if state is None or state[0] is not raw:
        state = (raw, set(), True)
    elif not state[2]:
        with db.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements")
            state = (raw, {row[0] for row in cursor.fetchall()}, True)
    db.__dict__[_STATE] = state
    return state[1]
