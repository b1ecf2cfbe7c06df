"""The one module through which all money moves.

Every operation:
- runs in one database transaction and locks the ledger accounts it touches in one fixed order,
  LOCK_ORDER: learning accounts first, then every other account, each by ascending id (then
  tranches by id, then the reservation), so crossing transfers cannot deadlock. Learning accounts
  come first because a deposit chunk locks thousands of them and leaves the funder's row to the
  balance trigger at the end of its insert (so chunks of one funder overlap);
- takes an idempotency key: the same key with the same content returns the first result and
  moves nothing; the same key with other content raises IdempotencyConflict;
- checks funds in Python for a clear error, while the database's CHECK constraints, triggers and
  unique keys stay the last line of defence (see leerrekening/models/ledger.py).

The hot path uses plain SQL on one cursor: three statements per transfer (lock, key check,
insert; the balance update is the insert trigger's work).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from leerportaal import prepared
from leerrekening.models import (
    Funder,
    LedgerAccount,
    Provider,
    Reservation,
    Tranche,
    Transfer,
)

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
Kind = LedgerAccount.Kind
TransferKind = Transfer.Kind

# Accounts that hold money of a person or organisation and so can never go below zero.
NON_NEGATIVE = {Kind.WORKER, Kind.FUNDER, Kind.RESERVATIONS, Kind.PROVIDER}


# --- Errors ---------------------------------------------------------------------------------------


class LedgerError(Exception):
    code = "ledger_error"


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"

    def __init__(self, *, account_id: int, available: Decimal, requested: Decimal):
        self.account_id = account_id
        self.available = available
        self.requested = requested
        super().__init__(
            f"insufficient funds on account {account_id}: € {available} available, "
            f"€ {requested} requested"
        )


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"

    def __init__(self, key: str):
        self.key = key
        super().__init__(
            f"idempotency key {key!r} was already used for a different operation; "
            "use a new key for a new operation"
        )


class ReservationAlreadySettled(LedgerError):
    code = "reservation_already_settled"


class InvalidAmount(LedgerError):
    code = "invalid_amount"


class OperationNotAllowed(LedgerError):
    code = "operation_not_allowed"


# --- Accounts -------------------------------------------------------------------------------------


def _system_account(kind: str, shard: int = 0) -> LedgerAccount:
    account = LedgerAccount.objects.filter(kind=kind, shard=shard).first()
    if account is None:
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(kind=kind, shard=shard)], ignore_conflicts=True
        )
        account = LedgerAccount.objects.get(kind=kind, shard=shard)
    return account


def external_account() -> LedgerAccount:
    return _system_account(Kind.EXTERNAL)


def reservation_shards() -> int:
    return settings.LEDGER_RESERVATION_SHARDS


def reservations_account(*, shard: int = 0) -> LedgerAccount:
    """One shard of the reservations (escrow) account."""
    return _system_account(Kind.RESERVATIONS, shard)


def reservations_account_for(*, account: LedgerAccount) -> LedgerAccount:
    """The escrow shard that holds this learning account's reservations (always the same)."""
    return reservations_account(shard=account.pk % reservation_shards())


def reserved_total() -> Decimal:
    """What all reservation shards hold together: the sum of every open reservation."""
    return LedgerAccount.objects.filter(kind=Kind.RESERVATIONS).aggregate(
        total=Coalesce(Sum("balance"), Decimal("0"))
    )["total"]


def _owned_account(kind: str, **owner) -> LedgerAccount:
    # bulk_create + ignore_conflicts: safe when two requests open the same account at once.
    account = LedgerAccount.objects.filter(**owner).first()
    if account is None:
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(kind=kind, **owner)], ignore_conflicts=True
        )
        account = LedgerAccount.objects.get(**owner)
    return account


def account_for_worker(*, worker: User) -> LedgerAccount:
    """The worker's learning account; it belongs to the person, not to any employment."""
    return _owned_account(Kind.WORKER, worker=worker)


def _open_worker_accounts(cursor, worker_ids: list[int]) -> None:
    # Most workers have an account already: insert only the missing ones (cheaper than letting
    # ON CONFLICT find every existing one), and ON CONFLICT for a concurrent opener.
    cursor.execute(
        "INSERT INTO leerrekening_ledgeraccount (kind, worker_id, shard, balance, created_at)"
        " SELECT 'worker', w, 0, 0, now() FROM unnest(%s::bigint[]) AS w"
        " WHERE NOT EXISTS (SELECT 1 FROM leerrekening_ledgeraccount a WHERE a.worker_id = w)"
        " ON CONFLICT DO NOTHING",
        [worker_ids],
    )


def accounts_for_workers(*, worker_ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Learning accounts for many workers at once (opened where missing), by worker id."""
    worker_ids = sorted(set(worker_ids))
    with connection.cursor() as cursor:
        _open_worker_accounts(cursor, worker_ids)
        cursor.execute(
            "SELECT worker_id, id FROM leerrekening_ledgeraccount WHERE worker_id = ANY(%s)",
            [worker_ids],
        )
        return {
            worker_id: LedgerAccount(pk=account_id, kind=Kind.WORKER, worker_id=worker_id)
            for worker_id, account_id in cursor.fetchall()
        }


def account_for_funder(*, funder: Funder) -> LedgerAccount:
    return _owned_account(Kind.FUNDER, funder=funder)


def account_for_provider(*, provider: Provider) -> LedgerAccount:
    return _owned_account(Kind.PROVIDER, provider=provider)


# --- Primitives -----------------------------------------------------------------------------------


def checked_amount(amount: Decimal | str | int) -> Decimal:
    if isinstance(amount, float):
        raise InvalidAmount("amounts are Decimal, never float")
    value = Decimal(amount)
    if value != value.quantize(CENT):
        raise InvalidAmount(f"€ {amount} has more than two decimals")
    if value <= 0:
        raise InvalidAmount(f"€ {amount} is not a positive amount")
    return value.quantize(CENT)


def _request_hash(**content) -> str:
    payload = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


# The order in which accounts are locked, everywhere (see the module docstring).
LOCK_ORDER = "(kind <> 'worker'), id"


def lock_accounts(cursor, account_ids: Iterable[int]) -> dict[int, tuple[str, Decimal]]:
    """Lock the accounts in LOCK_ORDER (LockRows runs above the sort)."""
    cursor.execute(
        "SELECT id, kind, balance FROM leerrekening_ledgeraccount "  # noqa: S608 — constants only
        f"WHERE id = ANY(%s) ORDER BY {LOCK_ORDER} FOR UPDATE",
        [sorted(set(account_ids))],
    )
    return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def _lock_accounts_and_find(
    cursor, account_ids: Iterable[int], key: str, request_hash: str
) -> tuple[dict[int, tuple[str, Decimal]], int | None]:
    """Lock the accounts (LOCK_ORDER) and look up the key, in one round trip.

    Two statements in one call: the second starts after the first holds the locks, so under READ
    COMMITTED it sees a transfer that a concurrent call with the same key committed meanwhile.
    """
    ids = sorted(set(account_ids))
    cursor.execute(
        "SELECT 1 FROM leerrekening_ledgeraccount"  # noqa: S608 — constants only
        f" WHERE id = ANY(%s) ORDER BY {LOCK_ORDER} FOR UPDATE;"
        " SELECT a.id, a.kind, a.balance, t.id, t.request_hash"
        "   FROM leerrekening_ledgeraccount a"
        "   LEFT JOIN leerrekening_transfer t ON t.idempotency_key = %s"
        "  WHERE a.id = ANY(%s)",
        [ids, key, ids],
    )
    rows = cursor.fetchall()
    existing = rows[0][3] if rows else None
    if existing is not None and rows[0][4] != request_hash:
        raise IdempotencyConflict(key)
    return {row[0]: (row[1], row[2]) for row in rows}, existing


def _existing_transfer(cursor, key: str, request_hash: str) -> int | None:
    """The id of the transfer already made with this key, or None; a different request conflicts."""
    cursor.execute(
        "SELECT id, request_hash FROM leerrekening_transfer WHERE idempotency_key = %s", [key]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    if row[1] != request_hash:
        raise IdempotencyConflict(key)
    return row[0]


def _check_funds(locked: dict[int, tuple[str, Decimal]], account_id: int, amount: Decimal) -> None:
    kind, balance = locked[account_id]
    if kind in NON_NEGATIVE and balance < amount:
        raise InsufficientFunds(account_id=account_id, available=balance, requested=amount)


def _insert_transfer(
    cursor,
    *,
    debit_id: int,
    credit_id: int,
    amount: Decimal,
    kind: str,
    key: str,
    request_hash: str,
    cause: str = "",
    reverses_id: int | None = None,
) -> int:
    cursor.execute(
        "INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount, kind,"
        " idempotency_key, request_hash, cause, reverses_id, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [debit_id, credit_id, amount, kind, key, request_hash, cause, reverses_id, timezone.now()],
    )
    return cursor.fetchone()[0]


def _insert_movements(cursor, transfer_id: int, movements: Sequence[tuple[int, Decimal]]) -> None:
    if not movements:
        return
    from psycopg2.extras import execute_values

    execute_values(
        cursor,
        "INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount) VALUES %s",
        [(transfer_id, tranche_id, amount) for tranche_id, amount in movements],
    )


def _is_key_violation(exc: IntegrityError) -> bool:
    return "idempotency_key" in str(exc)


def _idempotent(fn):
    """Run `fn` atomically; if a concurrent call with the same key won the race (unique
    violation on the key), run it once more: it then finds that call's result and replays it."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except IntegrityError as exc:
            if not _is_key_violation(exc):
                raise
            with transaction.atomic():
                return fn(*args, **kwargs)

    return wrapper


# --- Plain transfers (no worker account involved) -------------------------------------------------

PLAIN_KINDS = {TransferKind.FUNDING, TransferKind.PAYOUT, TransferKind.CORRECTION}


@_idempotent
def transfer_create(
    *,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: Decimal,
    kind: str,
    idempotency_key: str,
    cause: str = "",
) -> Transfer:
    """Move `amount` between two accounts that are neither a learning account nor the
    reservations account (those move only through deposits, reservations and expiry, which keep
    tranches and reservations in step). Raises InsufficientFunds, IdempotencyConflict."""
    amount = checked_amount(amount)
    if kind not in PLAIN_KINDS:
        raise OperationNotAllowed(f"a {kind} transfer has its own service function")
    if {debit.kind, credit.kind} & {Kind.WORKER, Kind.RESERVATIONS}:
        raise OperationNotAllowed(
            "learning accounts and reservations move only by deposit, reservation or expiry"
        )
    request_hash = _request_hash(
        op="transfer", debit=debit.pk, credit=credit.pk, amount=amount, kind=kind, cause=cause
    )
    with connection.cursor() as cursor:
        locked, existing = _lock_accounts_and_find(
            cursor, [debit.pk, credit.pk], idempotency_key, request_hash
        )
        if existing is not None:
            return Transfer.objects.get(pk=existing)
        _check_funds(locked, debit.pk, amount)
        transfer_id = _insert_transfer(
            cursor,
            debit_id=debit.pk,
            credit_id=credit.pk,
            amount=amount,
            kind=kind,
            key=idempotency_key,
            request_hash=request_hash,
            cause=cause,
        )
    return Transfer(
        pk=transfer_id,
        debit_account=debit,
        credit_account=credit,
        amount=amount,
        kind=kind,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        cause=cause,
    )


def funding_record(
    *, funder: Funder, amount: Decimal, idempotency_key: str, reference: str = ""
) -> Transfer:
    """A funder's payment arrived at the bank: external -> the funder's prepaid account."""
    return transfer_create(
        debit=external_account(),
        credit=account_for_funder(funder=funder),
        amount=amount,
        kind=TransferKind.FUNDING,
        idempotency_key=idempotency_key,
        cause=reference,
    )


# --- Deposits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositLine:
    worker_id: int
    amount: Decimal
    idempotency_key: str
    source: str = Tranche.Source.CAO
    ends_on: datetime.date | None = None
    at_end: str = Tranche.AtEnd.RETURN_TO_FUNDER
    cause: str = ""


@dataclass(frozen=True)
class DepositLinesQuery:
    """Deposit lines that PostgreSQL reads itself, e.g. a chunk of a batch's stored lines, so
    thousands of lines never travel through Python and back.

    `sql` is a SELECT built from constants only (never from input), whose rows have the columns
    n (order), worker_id, amount numeric(14,2), key, source, ends_on, at_end, cause; `params` are
    its named parameters. Its keys must be unique within the query (as a batch's are, by its
    unique line numbers and workers).
    """

    sql: str
    params: dict


@dataclass
class DepositResult:
    applied: list[int] = field(default_factory=list)  # transfer ids made now
    replayed: list[int] = field(default_factory=list)  # transfer ids made by an earlier run
    amount_applied: Decimal = Decimal("0.00")  # what the transfers made now moved together

    @property
    def transfer_ids(self) -> list[int]:
        return self.applied + self.replayed


# A deposit's request hash is computed by PostgreSQL from the line's own columns, so a chunk of
# 5,000 lines needs no per-line hashing in Python. `l` is a row of the lines.
_DEPOSIT_HASH_SQL = (
    "encode(sha256(convert_to(concat_ws('|', 'deposit', %(funder)s::text, l.worker_id::text,"
    " l.amount::text, l.source, coalesce(to_char(l.ends_on, 'YYYY-MM-DD'), ''), l.at_end,"
    " l.cause), 'UTF8')), 'hex')"
)
# Lines given as a list travel as one JSON parameter (psycopg2's per-element array adaptation of
# 5,000 lines cost more than the inserts themselves); PostgreSQL casts each field to its type.
_DEPOSIT_JSON_LINES_SQL = (
    "SELECT * FROM json_to_recordset(%(lines)s::json) AS l(n int, worker_id bigint,"
    " amount numeric(14,2), key varchar(200), source varchar(20), ends_on date,"
    " at_end varchar(20), cause varchar(200))"
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
            if not _is_key_violation(exc):
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


# --- Two-phase spending ---------------------------------------------------------------------------


# The account's tranches that may be spent, and the order they are spent in (the one ending first).
# A tranche past its end date that goes back to its funder is no longer spendable, even before
# the expiry task has moved it.
_SPENDING_ORDER = "ends_on ASC NULLS LAST, id"
_SPENDABLE = (
    "account_id = (SELECT id FROM leerrekening_ledgeraccount WHERE worker_id = %(worker)s)"
    " AND spendable AND (ends_on IS NULL OR ends_on >= %(today)s OR at_end = %(keep)s)"
)
# The worker's learning account and its escrow shard. The kind is written into the SQL, not
# passed: only then can the prepared statement's generic plan use the partial index on
# (kind, shard) for the system accounts. With a parameter it could not, so PostgreSQL planned
# the query afresh on every booking (~0.2 ms, measured with pg_prepared_statements'
# custom_plans) to avoid a generic plan that scans every account.
_WORKER_AND_ESCROW = (
    "SELECT w.id AS account, r.id AS escrow FROM leerrekening_ledgeraccount w"  # noqa: S608
    f"  LEFT JOIN leerrekening_ledgeraccount r ON r.kind = '{Kind.RESERVATIONS.value}'"
    "   AND r.shard = w.id %% %(shards)s"
    " WHERE w.worker_id = %(worker)s"
)
# One round trip, three statements, each seeing what committed before it ran: lock the worker's
# account and its escrow shard (LOCK_ORDER), then the spendable tranches (spending order), then
# read the accounts, the key and the locked tranches.
_RESERVE_LOCK_AND_READ = [
    "SELECT 1 FROM leerrekening_ledgeraccount"  # noqa: S608 — constant SQL, no input in it
    f" WHERE id IN (SELECT unnest(ARRAY[a.account, a.escrow]) FROM ({_WORKER_AND_ESCROW}) a)"
    f" ORDER BY {LOCK_ORDER} FOR UPDATE",
    f"SELECT 1 FROM leerrekening_tranche WHERE {_SPENDABLE}"  # noqa: S608
    f" ORDER BY {_SPENDING_ORDER} FOR UPDATE",
    "SELECT a.account, a.escrow, p.id, t.id, t.request_hash, s.ids, s.remaining"  # noqa: S608
    f"   FROM (SELECT array_agg(id ORDER BY {_SPENDING_ORDER}) AS ids,"
    f"                array_agg(remaining ORDER BY {_SPENDING_ORDER}) AS remaining"
    f"           FROM leerrekening_tranche WHERE {_SPENDABLE}) AS s"
    f"   LEFT JOIN ({_WORKER_AND_ESCROW}) a ON true"
    "   LEFT JOIN leerrekening_ledgeraccount p ON p.provider_id = %(provider)s"
    "   LEFT JOIN leerrekening_transfer t ON t.idempotency_key = %(key)s",
]


def _reserve_lock_and_read(
    cursor, *, worker: User, provider: Provider, key: str, today: datetime.date
) -> tuple:
    """_RESERVE_LOCK_AND_READ: (account, escrow, payee, existing transfer, its request hash,
    spendable tranche ids, their remainders); an account that does not exist yet is None."""
    prepared.execute(
        cursor,
        _RESERVE_LOCK_AND_READ,
        {
            "worker": worker.pk,
            "shards": reservation_shards(),
            "provider": provider.pk,
            "today": today,
            "keep": Tranche.AtEnd.KEEP,
            "key": key,
        },
    )
    return cursor.fetchone()


def _reserve(
    *,
    worker: User,
    provider: Provider,
    amount: Decimal,
    idempotency_key: str,
    cause: str,
) -> Reservation:
    amount = checked_amount(amount)
    today = timezone.localdate()
    with connection.cursor() as cursor:
        row = _reserve_lock_and_read(
            cursor, worker=worker, provider=provider, key=idempotency_key, today=today
        )
        if None in row[:3]:
            # Rare: a first reservation of the worker, a new escrow shard or a new provider.
            # Open what is missing (each at zero, once), then lock and read again. The worker's
            # account, if it existed, was locked first all the same; so was it for every other
            # booking of this worker, which therefore waits.
            reservations_account_for(account=account_for_worker(worker=worker))
            account_for_provider(provider=provider)
            row = _reserve_lock_and_read(
                cursor, worker=worker, provider=provider, key=idempotency_key, today=today
            )
        account_id, escrow_id, payee_id, existing, existing_hash, tranche_ids, remainders = row
        request_hash = _request_hash(
            op="reserve", account=account_id, payee=payee_id, amount=amount, cause=cause
        )
        if existing is not None:
            if existing_hash != request_hash:
                raise IdempotencyConflict(idempotency_key)
            return Reservation.objects.get(reserve_transfer_id=existing)
        tranches = list(zip(tranche_ids or [], remainders or [], strict=True))
        spendable = sum((remaining for _, remaining in tranches), Decimal("0"))
        if spendable < amount:
            raise InsufficientFunds(account_id=account_id, available=spendable, requested=amount)
        movements, left = [], amount
        for tranche_id, remaining in tranches:
            take = min(remaining, left)
            movements.append((tranche_id, -take))
            left -= take
            if left == 0:
                break
        now = timezone.now()
        # The transfer, its tranche movements and the reservation in one statement; the balance
        # and remainder triggers run at its end, as for separate inserts.
        prepared.execute(
            cursor,
            "WITH transfer AS ("
            "  INSERT INTO leerrekening_transfer (debit_account_id, credit_account_id, amount,"
            "   kind, idempotency_key, request_hash, cause, reverses_id, created_at)"
            "  VALUES (%(account)s, %(escrow)s, %(amount)s, %(kind)s, %(key)s, %(hash)s,"
            "   %(cause)s, NULL, %(now)s) RETURNING id),"
            " movements AS ("
            "  INSERT INTO leerrekening_tranchemovement (transfer_id, tranche_id, amount)"
            "  SELECT transfer.id, m.tranche_id, m.amount FROM transfer,"
            "   unnest(%(tranches)s::bigint[], %(takes)s::numeric[]) AS m(tranche_id, amount))"
            " INSERT INTO leerrekening_reservation (account_id, payee_id, amount, status,"
            "  reserve_transfer_id, settle_transfer_id, cause, created_at, settled_at)"
            " SELECT %(account)s, %(payee)s, %(amount)s, %(open)s, transfer.id, NULL, %(cause)s,"
            "  %(now)s, NULL FROM transfer RETURNING id, reserve_transfer_id",
            {
                "account": account_id,
                "escrow": escrow_id,
                "payee": payee_id,
                "amount": amount,
                "kind": TransferKind.RESERVATION,
                "key": idempotency_key,
                "hash": request_hash,
                "cause": cause,
                "now": now,
                "tranches": [tranche_id for tranche_id, _ in movements],
                "takes": [take for _, take in movements],
                "open": Reservation.Status.OPEN,
            },
        )
        reservation_id, transfer_id = cursor.fetchone()
    return Reservation(
        pk=reservation_id,
        account_id=account_id,
        payee_id=payee_id,
        amount=amount,
        status=Reservation.Status.OPEN,
        reserve_transfer_id=transfer_id,
        cause=cause,
        created_at=now,
    )


def reservation_create(
    *,
    worker: User,
    provider: Provider,
    amount: Decimal,
    idempotency_key: str,
    cause: str = "",
    key_serialised: bool = False,
) -> Reservation:
    """Reserve `amount` of the worker's budget for a provider (worker -> reservations), taken from
    the tranches that end first. Raises InsufficientFunds, IdempotencyConflict.

    `key_serialised`: the caller holds a lock that every use of this key waits for (booking_create
    holds the worker's row, and the key names the booking it makes), so no concurrent call can
    win the key, and the savepoint that `_idempotent` keeps for that race is left out. The key is
    still checked: a replay returns the first reservation.
    """
    reserve = _reserve if key_serialised else _idempotent(_reserve)
    return reserve(
        worker=worker,
        provider=provider,
        amount=amount,
        idempotency_key=idempotency_key,
        cause=cause,
    )


def _settle(*, reservation: Reservation, idempotency_key: str, post: bool) -> Reservation:
    op = "post" if post else "void"
    request_hash = _request_hash(op=op, reservation=reservation.pk)
    # The shard the reservation went to (its reserve transfer's credit side).
    escrow = LedgerAccount(
        pk=Transfer.objects.values_list("credit_account_id", flat=True).get(
            pk=reservation.reserve_transfer_id
        )
    )
    target_id = reservation.payee_id if post else reservation.account_id
    with connection.cursor() as cursor:
        lock_accounts(cursor, [escrow.pk, target_id])
        cursor.execute(
            "SELECT status FROM leerrekening_reservation WHERE id = %s FOR UPDATE", [reservation.pk]
        )
        existing = _existing_transfer(cursor, idempotency_key, request_hash)
        if existing is not None:
            return Reservation.objects.get(pk=reservation.pk)
        fresh = Reservation.objects.get(pk=reservation.pk)
        if fresh.status != Reservation.Status.OPEN:
            raise ReservationAlreadySettled(
                f"reservation {reservation.pk} is already {fresh.get_status_display().lower()}"
            )
        transfer_id = _insert_transfer(
            cursor,
            debit_id=escrow.pk,
            credit_id=target_id,
            amount=fresh.amount,
            kind=TransferKind.PAYMENT if post else TransferKind.RELEASE,
            key=idempotency_key,
            request_hash=request_hash,
            cause=fresh.cause,
        )
        if not post:
            # Back into the very tranches the reservation took from.
            cursor.execute(
                "SELECT tranche_id, -amount FROM leerrekening_tranchemovement"
                " WHERE transfer_id = %s ORDER BY tranche_id",
                [fresh.reserve_transfer_id],
            )
            movements = cursor.fetchall()
            cursor.execute(
                "SELECT id FROM leerrekening_tranche WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [[tranche_id for tranche_id, _ in movements]],
            )
            _insert_movements(cursor, transfer_id, movements)
    fresh.status = Reservation.Status.POSTED if post else Reservation.Status.VOIDED
    fresh.settle_transfer_id = transfer_id
    fresh.settled_at = timezone.now()
    fresh.save(update_fields=["status", "settle_transfer", "settled_at"])
    return fresh


@_idempotent
def reservation_post(*, reservation: Reservation, idempotency_key: str) -> Reservation:
    """The provider declared the start: reservations -> the provider's payable account.
    Raises ReservationAlreadySettled (voided or posted under another key), IdempotencyConflict."""
    return _settle(reservation=reservation, idempotency_key=idempotency_key, post=True)


@_idempotent
def reservation_void(*, reservation: Reservation, idempotency_key: str) -> Reservation:
    """Cancel before the start: the reservation goes back in full to the worker, into the tranches
    it came from. Raises ReservationAlreadySettled, IdempotencyConflict."""
    return _settle(reservation=reservation, idempotency_key=idempotency_key, post=False)


# --- Corrections ----------------------------------------------------------------------------------


@_idempotent
def transfer_reverse(*, transfer: Transfer, idempotency_key: str, reason: str) -> Transfer:
    """Undo a transfer by a new, opposite one (the original stays). Deposits are reversed out of
    their own tranche, as far as it is unspent; reservations and payments are undone by voiding,
    not here. Raises InsufficientFunds, OperationNotAllowed, IdempotencyConflict."""
    if transfer.kind not in {TransferKind.DEPOSIT, *PLAIN_KINDS}:
        raise OperationNotAllowed(f"a {transfer.kind} transfer is not reversed by a correction")
    request_hash = _request_hash(op="reverse", transfer=transfer.pk, reason=reason)
    with connection.cursor() as cursor:
        locked = lock_accounts(cursor, [transfer.debit_account_id, transfer.credit_account_id])
        existing = _existing_transfer(cursor, idempotency_key, request_hash)
        if existing is not None:
            return Transfer.objects.get(pk=existing)
        if Transfer.objects.filter(reverses=transfer).exists():
            raise OperationNotAllowed(f"transfer {transfer.pk} was already reversed")
        movements: list[tuple[int, Decimal]] = []
        if transfer.kind == TransferKind.DEPOSIT:
            cursor.execute(
                "SELECT id, remaining FROM leerrekening_tranche WHERE deposit_id = %s FOR UPDATE",
                [transfer.pk],
            )
            tranche_id, remaining = cursor.fetchone()
            if remaining < transfer.amount:
                raise InsufficientFunds(
                    account_id=transfer.credit_account_id,
                    available=remaining,
                    requested=transfer.amount,
                )
            movements = [(tranche_id, -transfer.amount)]
        else:
            _check_funds(locked, transfer.credit_account_id, transfer.amount)
        reversal_id = _insert_transfer(
            cursor,
            debit_id=transfer.credit_account_id,
            credit_id=transfer.debit_account_id,
            amount=transfer.amount,
            kind=TransferKind.CORRECTION,
            key=idempotency_key,
            request_hash=request_hash,
            cause=f"reverses:{transfer.pk} {reason}"[:200],
            reverses_id=transfer.pk,
        )
        _insert_movements(cursor, reversal_id, movements)
    return Transfer.objects.get(pk=reversal_id)


# --- Expiry ---------------------------------------------------------------------------------------


@dataclass
class ExpiryReport:
    expired: int = 0
    returned: Decimal = Decimal("0")
    kept: int = 0
    notices: int = 0


@_idempotent
def tranche_expire(*, tranche_id: int) -> Transfer | None:
    """Close a tranche past its end date: what is left goes back to the funder, or stays with the
    worker where the scheme says so. Idempotent: a closed tranche is left alone."""
    from leerrekening.services.notifications import notification_create

    tranche = Tranche.objects.select_related("account", "funder").get(pk=tranche_id)
    funder_account = account_for_funder(funder=tranche.funder)
    key = f"expiry:tranche:{tranche.pk}"
    request_hash = _request_hash(op="expire", tranche=tranche.pk)
    with connection.cursor() as cursor:
        lock_accounts(cursor, [tranche.account_id, funder_account.pk])
        cursor.execute(
            "SELECT remaining, ended_at FROM leerrekening_tranche WHERE id = %s FOR UPDATE",
            [tranche.pk],
        )
        remaining, ended_at = cursor.fetchone()
        if ended_at is not None:
            return None
        transfer = None
        if tranche.at_end == Tranche.AtEnd.RETURN_TO_FUNDER and remaining > 0:
            existing = _existing_transfer(cursor, key, request_hash)
            if existing is None:
                transfer_id = _insert_transfer(
                    cursor,
                    debit_id=tranche.account_id,
                    credit_id=funder_account.pk,
                    amount=remaining,
                    kind=TransferKind.EXPIRY,
                    key=key,
                    request_hash=request_hash,
                    cause=f"tranche:{tranche.pk}",
                )
                _insert_movements(cursor, transfer_id, [(tranche.pk, -remaining)])
                transfer = Transfer.objects.get(pk=transfer_id)
    Tranche.objects.filter(pk=tranche.pk).update(ended_at=timezone.now())
    if transfer is not None:
        notification_create(
            user_id=tranche.account.worker_id,
            kind="expired",
            title="Een deel van je tegoed is vervallen",
            body=(
                f"€ {transfer.amount} van {tranche.funder.name} is teruggegaan naar "
                f"{tranche.funder.name}, omdat de einddatum {tranche.ends_on:%d-%m-%Y} voorbij is."
            ),
            dedupe_key=f"expired:tranche:{tranche.pk}",
        )
    return transfer


NOTICE_DAYS = (90, 14)


def expire_tranches(*, today: datetime.date | None = None) -> ExpiryReport:
    """Daily: announce tranches ending within 90 and 14 days, and close those past their end date.

    Each tranche is its own transaction, so one failure does not hold up the rest, and a re-run
    (beat fires twice, a worker died) finds closed tranches closed and notices already sent.
    """
    from leerrekening.services.notifications import expiry_notices_send

    today = today or timezone.localdate()
    report = ExpiryReport()
    report.notices = expiry_notices_send(today=today, days=NOTICE_DAYS)
    due = Tranche.objects.filter(ended_at__isnull=True, ends_on__lt=today).values_list(
        "pk", "at_end"
    )
    for tranche_id, at_end in due.iterator(chunk_size=1000):
        transfer = tranche_expire(tranche_id=tranche_id)
        report.expired += 1
        if transfer is not None:
            report.returned += transfer.amount
        elif at_end == Tranche.AtEnd.KEEP:
            report.kept += 1
    logger.info(
        "expire_tranches %s: %s closed, € %s returned, %s kept, %s notices",
        today,
        report.expired,
        report.returned,
        report.kept,
        report.notices,
    )
    return report
