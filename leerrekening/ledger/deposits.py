"""The ledger side of deposits: money from a funder's prepaid account into workers' learning
accounts, each line as its own transfer and tranche, many lines in one transaction and a few
statements whatever their number."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from leerrekening.ledger.accounts import account_for_funder
from leerrekening.ledger.core import checked_amount, is_key_violation
from leerrekening.ledger.errors import IdempotencyConflict, InsufficientFunds
from leerrekening.models import Funder, LedgerAccount, Tranche, Transfer


@dataclass(frozen=True)
class DepositLine:
    worker_id: int
    amount: Decimal
    idempotency_key: str
    source: str = Tranche.Source.CAO
    ends_on: datetime.date | None = None
    at_end: str = Tranche.AtEnd.RETURN_TO_FUNDER
    cause: str = ""


# The columns every source of deposit lines gives, in this order and with these types.
DEPOSIT_LINE_COLUMNS = (
    "n int",  # the line's order within the chunk
    "worker_id bigint",
    "amount numeric(14,2)",
    "key varchar(200)",  # the idempotency key, unique within the lines
    "source varchar(20)",  # Tranche.Source
    "ends_on date",  # NULL: never ends
    "at_end varchar(20)",  # Tranche.AtEnd
    "cause varchar(200)",
)


@dataclass(frozen=True)
class DepositLinesQuery:
    """Deposit lines that PostgreSQL reads itself (e.g. a chunk of a batch's stored lines), so
    thousands of lines never travel through Python and back. Made by `deposit_lines_query`."""

    sql: str
    params: dict


def deposit_lines_query(*, select_sql: str, params: dict) -> DepositLinesQuery:
    """Lines read by `select_sql`, a SELECT built from constants only (never from input) with
    named parameters `params`, whose rows have (at least) the columns named in
    DEPOSIT_LINE_COLUMNS; its keys must be unique within the query (as a batch's are, by its
    unique line numbers and workers).

    The ledger reads exactly those columns by name (the types are the source's to give), so a
    missing column fails at once and an extra one is never read."""
    columns = ", ".join(f"q.{column.split(' ', 1)[0]}" for column in DEPOSIT_LINE_COLUMNS)
    return DepositLinesQuery(
        sql=f"SELECT {columns} FROM ({select_sql}) q",  # noqa: S608 — constants only
        params=dict(params),
    )


@dataclass
class DepositResult:
    applied: list[int] = field(default_factory=list)  # transfer ids made now
    replayed: list[int] = field(default_factory=list)  # transfer ids made by an earlier run
    amount_applied: Decimal = Decimal("0.00")  # what the transfers made now moved together

    @property
    def transfer_ids(self) -> list[int]:
        return self.applied + self.replayed


# A deposit's request hash is computed by PostgreSQL from the line's own columns, so a chunk of
# 5,000 lines needs no per-line hashing in Python. `l` is a row of the lines. Its Python form,
# deposit_request_hash, is tested to give the same on many lines.
_DEPOSIT_HASH_SQL = (
    "encode(sha256(convert_to(concat_ws('|', 'deposit', %(funder)s::text, l.worker_id::text,"
    " l.amount::text, l.source, coalesce(to_char(l.ends_on, 'YYYY-MM-DD'), ''), l.at_end,"
    " l.cause), 'UTF8')), 'hex')"
)
# Lines given as a list travel as one JSON parameter (psycopg2's per-element array adaptation of
# 5,000 lines cost more than the inserts themselves); PostgreSQL casts each field to its type.
_DEPOSIT_JSON_LINES_SQL = (
    "SELECT * FROM json_to_recordset(%(lines)s::json)"  # noqa: S608 — constants only
    f" AS l({', '.join(DEPOSIT_LINE_COLUMNS)})"
)
# Open the learning accounts that are missing (most exist: insert only those, cheaper than letting
# ON CONFLICT find every existing one; ON CONFLICT for a concurrent opener), lock the workers'
# accounts (learning accounts first, by id: the ledger's lock order), and read what the funds
# check needs. The funder's row is not locked here: the balance trigger takes it at the end of the
# insert and holds it only until commit, so chunks of one funder overlap (see deposits_create).
_DEPOSIT_PREPARE_SQL = """
INSERT INTO leerrekening_ledgeraccount (kind, worker_id, shard, balance, created_at)
SELECT 'worker', s.worker_id, 0, 0, now() FROM (SELECT DISTINCT worker_id FROM ({lines}) l) s
 WHERE NOT EXISTS (SELECT 1 FROM leerrekening_ledgeraccount a WHERE a.worker_id = s.worker_id)
ON CONFLICT DO NOTHING;
SELECT (SELECT count(*) FROM (
            SELECT 1 FROM leerrekening_ledgeraccount
             WHERE worker_id IN (SELECT worker_id FROM ({lines}) l) ORDER BY id FOR UPDATE) locked),
       (SELECT balance FROM leerrekening_ledgeraccount WHERE id = %(funder_account)s),
       count(*), coalesce(sum(l.amount), 0)
  FROM ({lines}) l
"""
# Transfers and their tranches (opening full) in one statement: the statement-level trigger then
# updates every touched balance once. A tranche's deposit is its `deposit` transfer; it has no
# movement of its own (movements are what changed the tranche afterwards). Lines whose key was
# applied before are left out here and checked afterwards: a replay, or a conflict. Each new line
# draws its transfer's id first, so both inserts read the same materialised lines and never join
# each other (a join whose plan would hang on estimates of rows just stored).
_DEPOSITS_INSERT_SQL = """
WITH l AS MATERIALIZED (
    SELECT lines.*, a.id AS account_id,
           nextval(pg_get_serial_sequence('leerrekening_transfer', 'id')) AS transfer_id
      FROM ({lines}) lines JOIN leerrekening_ledgeraccount a ON a.worker_id = lines.worker_id
     WHERE NOT EXISTS (SELECT 1 FROM leerrekening_transfer t
                        WHERE t.idempotency_key = lines.key)
),
transfers AS (
    INSERT INTO leerrekening_transfer (id, debit_account_id, credit_account_id, amount, kind,
        idempotency_key, request_hash, cause, reverses_id, created_at)
    SELECT l.transfer_id, %(funder_account)s, l.account_id, l.amount, 'deposit', l.key, {hash},
           l.cause, NULL, %(now)s
      FROM l ORDER BY l.transfer_id
),
tranches AS (
    INSERT INTO leerrekening_tranche (account_id, funder_id, source, deposit_id, amount,
        remaining, ends_on, at_end, created_at)
    SELECT l.account_id, %(funder)s, l.source, l.transfer_id, l.amount, l.amount, l.ends_on,
           l.at_end, %(now)s
      FROM l ORDER BY l.transfer_id
    RETURNING deposit_id, amount
)
SELECT coalesce(array_agg(deposit_id ORDER BY deposit_id), '{{}}'), coalesce(sum(amount), 0)
  FROM tranches
"""
# Lines whose key was applied before (not now): the transfer, and whether the same request made it.
_DEPOSITS_REPLAYED_SQL = """
SELECT l.key, t.id, t.request_hash = {hash}, l.amount
  FROM ({lines}) l JOIN leerrekening_transfer t ON t.idempotency_key = l.key
 WHERE NOT t.id = ANY(%(applied)s)
"""
NON_NEGATIVE_CONSTRAINT = "ledger_account_balance_not_negative"


def deposit_request_hash(*, funder_id: int, line: DepositLine) -> str:
    """_DEPOSIT_HASH_SQL in Python: the request hash the database stores for a deposit line."""
    payload = "|".join(
        [
            "deposit",
            str(funder_id),
            str(line.worker_id),
            str(checked_amount(line.amount)),
            str(line.source),
            line.ends_on.isoformat() if line.ends_on else "",
            str(line.at_end),
            line.cause,
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _deposit_lines_json(lines: Sequence[DepositLine]) -> str:
    return json.dumps(
        [
            {
                "n": n,
                "worker_id": line.worker_id,
                "amount": str(checked_amount(line.amount)),
                "key": line.idempotency_key,
                "source": str(line.source),
                "ends_on": line.ends_on.isoformat() if line.ends_on else None,
                "at_end": str(line.at_end),
                "cause": line.cause,
            }
            for n, line in enumerate(lines)
        ],
        separators=(",", ":"),
    )


def deposits_create(
    *, funder: Funder, lines: Sequence[DepositLine] | DepositLinesQuery
) -> DepositResult:
    """Deposit many lines from one funder in one transaction, each as its own transfer and tranche.

    Lines whose key was applied before are replayed (not moved again); a key reused for other
    content raises IdempotencyConflict and nothing of the chunk is applied. The funder's prepaid
    account must cover the new lines together, else InsufficientFunds and nothing is applied.

    Locks: the workers' learning accounts first (by id), then the funder's row, which the
    statement-level balance trigger takes and updates once per chunk, however many lines it has.
    Because the funder's row is locked only from that update until commit, chunks of one funder
    run side by side; the database's CHECK (no negative balance) is what stops a chunk that no
    longer fits, and it is reported as InsufficientFunds like the check in Python before it.
    Statements per chunk: 3 round trips, whatever its size (a 4th only when keys were used before).
    """
    if isinstance(lines, DepositLinesQuery):
        source_sql, params = lines.sql, dict(lines.params)
    else:
        if not lines:
            return DepositResult()
        keys = [line.idempotency_key for line in lines]
        if len(set(keys)) != len(keys):
            raise IdempotencyConflict("a key appears twice in one chunk")
        source_sql, params = _DEPOSIT_JSON_LINES_SQL, {"lines": _deposit_lines_json(lines)}
    funder_account_id = account_for_funder(funder=funder).pk
    params.update(funder=funder.pk, funder_account=funder_account_id)
    try:
        try:
            return _deposits_apply(source_sql, params)
        except IntegrityError as exc:
            if not is_key_violation(exc):
                raise
            # A concurrent call with one of these keys committed first: now it is a replay.
            return _deposits_apply(source_sql, params)
    except IntegrityError as exc:
        if NON_NEGATIVE_CONSTRAINT not in str(exc):
            raise
        # A concurrent chunk spent the funder's balance between our read and our update.
        balance = LedgerAccount.objects.values_list("balance", flat=True).get(pk=funder_account_id)
        raise InsufficientFunds(
            account_id=funder_account_id,
            available=balance,
            requested=_lines_total(source_sql, params),
        ) from exc


def _lines_total(source_sql: str, params: dict) -> Decimal:
    """What the lines not applied before ask together."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(sum(l.amount), 0) FROM ({source_sql}) l"  # noqa: S608 — constants only
            " WHERE NOT EXISTS (SELECT 1 FROM leerrekening_transfer t"
            "                    WHERE t.idempotency_key = l.key)",
            params,
        )
        return cursor.fetchone()[0]


@transaction.atomic
def _deposits_apply(source_sql: str, params: dict) -> DepositResult:
    result = DepositResult()
    with connection.cursor() as cursor:
        cursor.execute(_DEPOSIT_PREPARE_SQL.format(lines=source_sql), params)
        _locked, funder_balance, count, total = cursor.fetchone()
        if not count:
            return result
        # The total counts lines that may be replays; only when it does not fit is the exact
        # figure (new lines only) worth its extra query.
        if funder_balance < total:
            requested = _lines_total(source_sql, params)
            if funder_balance < requested:
                raise InsufficientFunds(
                    account_id=params["funder_account"],
                    available=funder_balance,
                    requested=requested,
                )
        cursor.execute(
            _DEPOSITS_INSERT_SQL.format(lines=source_sql, hash=_DEPOSIT_HASH_SQL),
            {**params, "now": timezone.now()},
        )
        result.applied, result.amount_applied = cursor.fetchone()
        if len(result.applied) < count:
            cursor.execute(
                _DEPOSITS_REPLAYED_SQL.format(lines=source_sql, hash=_DEPOSIT_HASH_SQL),
                {**params, "applied": result.applied},
            )
            for key, transfer_id, same_request, _amount in cursor.fetchall():
                if not same_request:
                    raise IdempotencyConflict(key)
                result.replayed.append(transfer_id)
    return result


def deposit_create(
    *,
    funder: Funder,
    worker: User,
    amount: Decimal,
    idempotency_key: str,
    source: str = Tranche.Source.CAO,
    ends_on: datetime.date | None = None,
    at_end: str = Tranche.AtEnd.RETURN_TO_FUNDER,
    cause: str = "",
) -> Transfer:
    """Move `amount` from the funder's prepaid account into a worker's learning account, as a new
    tranche. Applied at most once per key. Raises InsufficientFunds, IdempotencyConflict."""
    line = DepositLine(
        worker_id=worker.pk,
        amount=checked_amount(amount),
        idempotency_key=idempotency_key,
        source=source,
        ends_on=ends_on,
        at_end=at_end,
        cause=cause,
    )
    result = deposits_create(funder=funder, lines=[line])
    return Transfer.objects.get(pk=result.transfer_ids[0])
