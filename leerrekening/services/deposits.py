"""Deposits from funders into learning accounts: uploading, confirming and applying batches.

Invariants (see leerrekening/models/deposits.py):

- a batch moves money only after it was validated completely and confirmed; a batch with any bad
  line is stored as rejected, with every error, and never applied;
- money moves only through leerrekening.ledger; each line has its own idempotency key,
  so applying a batch twice, or again after a crash, applies every line exactly once;
- each chunk's money and the batch's progress commit in one transaction;
- confirming never depends on Redis: the batch is stored as confirmed, enqueued after commit, and
  a broker error is logged, not raised; the sweeper (beat) picks up what was not enqueued.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice
from typing import BinaryIO, TextIO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Employer, Employment, User
from leerportaal.enqueue import send_task
from leerportaal.excel_csv import write_excel_csv
from leerrekening import ledger
from leerrekening.batch_csv import (
    SOURCE_CAO,
    SOURCE_EXTRA,
    SOURCE_GOVERNMENT,
    SOURCE_LEAVE_BONUS,
    SOURCES,
    format_eur,
)
from leerrekening.batch_validation import ValidLines, validate_deposit_batch
from leerrekening.models import (
    DepositBatch,
    DepositBatchChunk,
    DepositBatchLine,
    Funder,
    Tranche,
)
from leerrekening.models.deposits import MAX_VALID_YEARS

logger = logging.getLogger(__name__)

Status = DepositBatch.Status
INSERT_PAGE = 5_000

# The CSV's Dutch source words -> the tranche's source.
CSV_SOURCES = {
    SOURCE_CAO: Tranche.Source.CAO,
    SOURCE_EXTRA: Tranche.Source.EXTRA,
    SOURCE_LEAVE_BONUS: Tranche.Source.LEAVE_BONUS,
    SOURCE_GOVERNMENT: Tranche.Source.GOVERNMENT,
}


class DepositError(Exception):
    """A request the rules refuse; the message is for the user."""

    code = "deposit_error"


class BatchNotConfirmable(DepositError):
    code = "batch_not_confirmable"


class EndDateTooLate(DepositError):
    code = "end_date_too_late"


class EmploymentNotActive(DepositError):
    code = "employment_not_active"


class FundsTooLow(DepositError):
    code = "funds_too_low"


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def ends_on_for(*, deposit_date: datetime.date, valid_years: int | None) -> datetime.date | None:
    """The last day a deposit can be used: valid_years after the deposit date, at most five."""
    if valid_years is None:
        return None
    if not 1 <= valid_years <= MAX_VALID_YEARS:
        raise EndDateTooLate(_("Een storting is 1 tot en met 5 jaar geldig."))
    return add_years(deposit_date, valid_years) - datetime.timedelta(days=1)


def _check_end_date(deposit_date: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on > add_years(deposit_date, MAX_VALID_YEARS):
        raise EndDateTooLate(
            _("De einddatum mag hoogstens 5 jaar na de stortingsdatum liggen (belastingvrij).")
        )
    if ends_on is not None and ends_on < deposit_date:
        raise EndDateTooLate(_("De einddatum ligt voor de stortingsdatum."))


# --- Reading money available --------------------------------------------------------------------


def funder_available(*, funder: Funder, exclude_batch_id: int | None = None) -> Decimal:
    """The funder's prepaid balance minus what confirmed, unfinished batches will still take."""
    balance = ledger.account_for_funder(funder=funder).balance
    pending = (
        DepositBatch.objects.filter(
            funder=funder, status__in=[*DepositBatch.PENDING, Status.STOPPED]
        )
        .exclude(pk=exclude_batch_id)
        .aggregate(total=Sum("total"), applied=Sum("amount_applied"))
    )
    outstanding = (pending["total"] or Decimal("0")) - (pending["applied"] or Decimal("0"))
    return max(balance - outstanding, Decimal("0"))


# --- Creating batches -----------------------------------------------------------------------------


_LINE_COLUMNS = (
    "batch_id, line_number, employment_id, worker_id, employee_number, amount, source, description"
)


def _insert_lines(batch: DepositBatch, rows: Iterable[tuple]) -> None:
    """Store (line_number, employment_id, worker_id, employee_number, amount, source,
    description) rows for a batch with COPY, a page at a time (the rows may be a generator):
    PostgreSQL's bulk loader, several times faster than INSERT for 100,000 lines."""
    sql = (
        f"COPY leerrekening_depositbatchline ({_LINE_COLUMNS}) FROM STDIN"
        " WITH (FORMAT csv, FORCE_NOT_NULL (employee_number, description))"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with connection.cursor() as cursor:
        rows = iter(rows)
        while page := list(islice(rows, INSERT_PAGE)):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows((batch.pk, *row) for row in page)
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)


# A validated batch's lines in one statement, from its columns as arrays (ValidLines.columns):
# no Python object or CSV text per line. The worker and the employee number come from the
# employment the validation chose.
_STORE_VALID_LINES_SQL = f"""
INSERT INTO leerrekening_depositbatchline ({_LINE_COLUMNS})
SELECT %(batch)s, l.n, l.employment, e.worker_id, e.employee_number,
       (l.cents::numeric / 100)::numeric(14, 2), (%(source_names)s::varchar[])[l.source + 1],
       (%(texts)s::varchar[])[l.description + 1]
  FROM unnest(%(line_numbers)s::int[], %(employments)s::bigint[], %(cents)s::bigint[],
              %(sources)s::int[], %(descriptions)s::int[])
       AS l(n, employment, cents, source, description)
  JOIN accounts_employment e ON e.id = l.employment
"""  # noqa: S608 — constants only


class RosterChanged(DepositError):
    """An employment the validation chose was removed before the lines were stored."""


def _store_valid_lines(batch: DepositBatch, lines: ValidLines) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _STORE_VALID_LINES_SQL,
            {
                "batch": batch.pk,
                "source_names": [str(CSV_SOURCES[name]) for name in SOURCES],
                **lines.columns(),
            },
        )
        if cursor.rowcount != len(lines):
            raise RosterChanged(
                _(
                    "Het personeelsbestand is veranderd terwijl het bestand werd gecontroleerd. "
                    "Upload het bestand opnieuw."
                )
            )


@transaction.atomic
def deposit_batch_upload(
    *,
    funder: Funder,
    employer: Employer,
    stream: BinaryIO,
    file_name: str,
    deposit_date: datetime.date,
    ends_on: datetime.date | None,
    at_end: str,
    description: str = "",
    by: User | None,
) -> DepositBatch:
    """Validate a deposit CSV completely and store it: `validated` with its lines when every line
    is good (nothing moves yet: it waits for confirmation), else `rejected` with every error and
    no lines. Raises EndDateTooLate."""
    _check_end_date(deposit_date, ends_on)
    validation = validate_deposit_batch(
        stream,
        employer=employer,
        on_date=deposit_date,
        available_balance=funder_available(funder=funder),
    )
    batch = DepositBatch.objects.create(
        kind=DepositBatch.Kind.UPLOAD,
        status=Status.VALIDATED if validation.is_valid else Status.REJECTED,
        funder=funder,
        employer=employer,
        deposit_date=deposit_date,
        ends_on=ends_on,
        at_end=at_end,
        description=description[:200],
        file_name=file_name[:255],
        created_by=by,
        errors=[
            {
                "line": e.line_number,
                "employee_number": e.employee_number,
                "field": e.field,
                "code": e.code,
                "message": e.message,
            }
            for e in validation.errors
        ],
        error_count=len(validation.errors),
    )
    if validation.is_valid:
        _store_valid_lines(batch, validation.lines)
        batch.line_count = len(validation.lines)
        batch.total = validation.total
        batch.save(update_fields=["line_count", "total"])
    return batch


@transaction.atomic
def deposit_batch_confirm(*, batch: DepositBatch, by: User | None) -> DepositBatch:
    """Confirm a validated batch: it is stored as confirmed and handed to Celery after commit.

    The prepaid balance is checked again (other batches may have been confirmed meanwhile).
    Raises BatchNotConfirmable, FundsTooLow.
    """
    locked = DepositBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != Status.VALIDATED:
        raise BatchNotConfirmable(
            _("Deze batch kan niet (meer) worden bevestigd: de status is '%(status)s'.")
            % {"status": locked.get_status_display()}
        )
    available = funder_available(funder=locked.funder, exclude_batch_id=locked.pk)
    if locked.total > available:
        raise FundsTooLow(
            _(
                "Het totaal van deze batch (%(total)s) is hoger dan het beschikbare tegoed "
                "(%(available)s). Stort eerst bij."
            )
            % {"total": format_eur(locked.total), "available": format_eur(available)}
        )
    now = timezone.now()
    locked.status = Status.CONFIRMED
    locked.confirmed_by = by
    locked.confirmed_at = now
    locked.touched_at = now
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "touched_at"])
    enqueue_on_commit(locked.pk)
    return locked


@transaction.atomic
def deposit_batch_cancel(*, batch: DepositBatch, by: User | None) -> DepositBatch:
    """Drop a validated batch that was not confirmed. Nothing was applied, nothing is."""
    locked = DepositBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != Status.VALIDATED:
        raise BatchNotConfirmable(_("Alleen een batch die nog niet is bevestigd kan vervallen."))
    locked.status = Status.CANCELLED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at"])
    return locked


@transaction.atomic
def deposit_single_create(
    *,
    funder: Funder,
    employment: Employment,
    amount: Decimal,
    source: str,
    deposit_date: datetime.date,
    ends_on: datetime.date | None,
    at_end: str,
    description: str = "",
    by: User | None,
) -> DepositBatch:
    """One deposit for one employee: a confirmed batch of one line, applied by Celery like any
    other. Raises EmploymentNotActive, EndDateTooLate, FundsTooLow, ledger.InvalidAmount."""
    amount = ledger.checked_amount(amount)
    _check_end_date(deposit_date, ends_on)
    if not employment.is_active_on(deposit_date):
        raise EmploymentNotActive(
            _("Personeelsnummer %(number)s is op de stortingsdatum niet in dienst.")
            % {"number": employment.employee_number}
        )
    # Lock the funder's account so two single deposits cannot both pass the balance check.
    ledger_account = ledger.account_for_funder(funder=funder)
    with connection.cursor() as cursor:
        ledger.lock_accounts(cursor, [ledger_account.pk])
    available = funder_available(funder=funder)
    if amount > available:
        raise FundsTooLow(
            _("Het beschikbare tegoed (%(available)s) is te laag voor deze storting.")
            % {"available": format_eur(available)}
        )
    now = timezone.now()
    batch = DepositBatch.objects.create(
        kind=DepositBatch.Kind.SINGLE,
        status=Status.CONFIRMED,
        funder=funder,
        employer=employment.employer,
        deposit_date=deposit_date,
        ends_on=ends_on,
        at_end=at_end,
        description=description[:200],
        line_count=1,
        total=amount,
        created_by=by,
        confirmed_by=by,
        confirmed_at=now,
        touched_at=now,
    )
    DepositBatchLine.objects.create(
        batch=batch,
        line_number=1,
        employment=employment,
        worker_id=employment.worker_id,
        employee_number=employment.employee_number,
        amount=amount,
        source=source,
        description=description[:200],
    )
    enqueue_on_commit(batch.pk)
    return batch


@transaction.atomic
def deposit_batch_resume(*, batch: DepositBatch, by: User | None) -> DepositBatch:
    """Resume a batch that stopped (e.g. the prepaid balance ran out) after the cause was fixed.
    It continues after the last applied line; applied lines are never applied again."""
    locked = DepositBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != Status.STOPPED:
        raise BatchNotConfirmable(_("Alleen een gestopte batch kan worden hervat."))
    locked.status = Status.CONFIRMED
    locked.stop_code = ""
    locked.stop_message = ""
    locked.touched_at = timezone.now()
    locked.save(update_fields=["status", "stop_code", "stop_message", "touched_at"])
    enqueue_on_commit(locked.pk)
    return locked


# --- Handing to Celery ----------------------------------------------------------------------------


def enqueue(batch_id: int, *, fan_out: bool = True) -> bool:
    """Send the apply task; False (logged) when the broker cannot be reached. Never raises: the
    batch is safely stored as pending and the sweeper sends it again later. `fan_out`: the task
    may ask for helpers (settings.DEPOSIT_BATCH_WORKERS) to share a batch of several chunks."""
    from leerrekening.tasks import deposit_batch_apply as task

    return send_task(task, batch_id, fan_out)


def enqueue_on_commit(batch_id: int) -> None:
    transaction.on_commit(lambda: enqueue(batch_id))


# --- Applying -------------------------------------------------------------------------------------


@dataclass
class ApplyOutcome:
    chunks: int = 0
    lines: int = 0
    status: str = ""
    busy: bool = False


# The batch's lines, as the ledger reads them for one chunk (columns of ledger.DEPOSIT_LINE_COLUMNS).
_CHUNK_LINES_SQL = """
SELECT bl.line_number AS n, bl.worker_id, bl.amount, {key} AS key, bl.source,
       %(ends_on)s::date AS ends_on, %(at_end)s::varchar(20) AS at_end,
       ('deposit-batch:' || bl.batch_id::text || ':line:' || bl.line_number::text)::varchar(200)
           AS cause
  FROM leerrekening_depositbatchline bl
 WHERE bl.batch_id = %(batch)s AND bl.line_number BETWEEN %(first_line)s AND %(last_line)s
 ORDER BY bl.line_number
"""
# Chunks of `size` lines in line-number order: one statement, however long the batch.
_PLAN_CHUNKS_SQL = """
INSERT INTO leerrekening_depositbatchchunk (batch_id, number, first_line, last_line, line_count,
    total, applied_at, lines_applied, amount_applied)
SELECT %(batch)s, bucket, min(line_number), max(line_number), count(*), sum(amount), NULL, 0, 0
  FROM (SELECT line_number, amount, (row_number() OVER (ORDER BY line_number) - 1) / %(size)s
               AS bucket
          FROM leerrekening_depositbatchline WHERE batch_id = %(batch)s) AS numbered
 GROUP BY bucket
"""


def chunk_lines(*, batch: DepositBatch, chunk: DepositBatchChunk) -> ledger.DepositLinesQuery:
    """The chunk's lines for the ledger to read itself, with their keys (DepositBatch.line_key)."""
    key_sql, key_params = batch.line_key_sql()
    return ledger.deposit_lines_query(
        select_sql=_CHUNK_LINES_SQL.format(key=key_sql),
        params={
            **key_params,
            "batch": batch.pk,
            "first_line": chunk.first_line,
            "last_line": chunk.last_line,
            "ends_on": batch.ends_on,
            "at_end": batch.at_end,
        },
    )


def _plan_chunks(batch_id: int, chunk_size: int) -> int | None:
    """Divide a pending batch's lines into chunks, once. Returns how many chunks are still to be
    applied, or None when the batch is not pending (nothing to do)."""
    with transaction.atomic():
        batch = DepositBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status not in DepositBatch.PENDING:
            return None
        if not batch.chunks.exists():
            with connection.cursor() as cursor:
                cursor.execute(_PLAN_CHUNKS_SQL, {"batch": batch.pk, "size": chunk_size})
        return batch.chunks.filter(applied_at__isnull=True).count()


def _stop(batch_id: int, code: str, message: str) -> None:
    # Conditional: a chunk of another worker may have finished (or stopped) the batch meanwhile.
    DepositBatch.objects.filter(pk=batch_id, status__in=DepositBatch.PENDING).update(
        status=Status.STOPPED, stop_code=code, stop_message=message, touched_at=timezone.now()
    )


def _apply_next_chunk(batch_id: int) -> tuple[str, int]:
    """Claim a chunk nobody holds and apply it in one transaction: its money, its mark and the
    batch's progress together.

    Returns ("more"|"stopped"|"busy"|"none"|"idle", lines applied now): "busy" when the chunks
    left are held by other workers, "none" when every chunk is applied. Locks, in this order: the
    chunk row, the workers' learning accounts and the funder's row (the ledger), the batch row
    (its progress, last, so it is held only while committing).
    """
    with transaction.atomic():
        batch = DepositBatch.objects.select_related("funder").filter(pk=batch_id).first()
        if batch is None or batch.status not in DepositBatch.PENDING:
            return "idle", 0
        chunk = (
            DepositBatchChunk.objects.select_for_update(skip_locked=True)
            .filter(batch_id=batch_id, applied_at__isnull=True)
            .order_by("number")
            .first()
        )
        if chunk is None:
            left = DepositBatchChunk.objects.filter(batch_id=batch_id, applied_at__isnull=True)
            return ("busy" if left.exists() else "none"), 0
        try:
            # A savepoint: a refused chunk rolls back alone, and the stop is still recorded.
            with transaction.atomic():
                result = ledger.deposits_create(
                    funder=batch.funder, lines=chunk_lines(batch=batch, chunk=chunk)
                )
        except ledger.InsufficientFunds as error:
            _stop(
                batch_id,
                error.code,
                _(
                    "Het tegoed van %(funder)s is op: nog %(available)s beschikbaar, de volgende "
                    "%(count)d stortingen vragen %(requested)s. Stort bij en hervat de batch."
                )
                % {
                    "funder": batch.funder.name,
                    "available": format_eur(error.available),
                    "count": chunk.line_count,
                    "requested": format_eur(error.requested),
                },
            )
            return "stopped", 0
        except ledger.LedgerError as error:
            _stop(batch_id, error.code, str(error))
            return "stopped", 0
        now = timezone.now()
        applied = len(result.applied)
        DepositBatchChunk.objects.filter(pk=chunk.pk).update(
            applied_at=now, lines_applied=applied, amount_applied=result.amount_applied
        )
        DepositBatch.objects.filter(pk=batch_id).update(
            lines_applied=F("lines_applied") + applied,
            amount_applied=F("amount_applied") + result.amount_applied,
            # Only a pending batch becomes running: a stop by another worker's chunk stays.
            status=Case(
                When(status=Status.CONFIRMED, then=Value(Status.RUNNING)), default=F("status")
            ),
            started_at=Coalesce("started_at", Value(now)),
            touched_at=now,
        )
        return "more", applied


def _finish(batch_id: int) -> str:
    """Mark a pending batch done once every chunk is applied; under the batch row's lock, which
    each chunk's transaction takes last, so no chunk can be half-committed meanwhile."""
    with transaction.atomic():
        batch = DepositBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status not in DepositBatch.PENDING:
            return "idle"
        if batch.chunks.filter(applied_at__isnull=True).exists():
            return "busy"
        now = timezone.now()
        batch.status = Status.DONE
        batch.started_at = batch.started_at or now
        batch.finished_at = now
        batch.touched_at = now
        batch.save(update_fields=["status", "started_at", "finished_at", "touched_at"])
        return "done"


def deposit_batch_apply(
    *, batch_id: int, chunk_size: int | None = None, helpers: int = 0
) -> ApplyOutcome:
    """Apply a confirmed batch, chunk after chunk, until it is done or stops.

    Safe to run any number of times, concurrently too: each run claims chunks nobody holds, and
    the line keys make a replay move nothing. `helpers`: how many more runs to ask Celery for
    when there is more than one chunk to apply, so that several workers share the batch.
    """
    chunk_size = chunk_size or settings.DEPOSIT_BATCH_CHUNK_SIZE
    outcome = ApplyOutcome()
    left = _plan_chunks(batch_id, chunk_size)
    if left is None:
        outcome.status = "idle"
        return outcome
    for _helper in range(min(helpers, left - 1)):
        enqueue(batch_id, fan_out=False)
    while True:
        state, count = _apply_next_chunk(batch_id)
        if state == "more":
            outcome.chunks += 1
            outcome.lines += count
            continue
        if state == "none":
            state = _finish(batch_id)
        outcome.status = state
        outcome.busy = state == "busy"
        return outcome


def deposit_batches_sweep(*, stale_after: datetime.timedelta) -> list[int]:
    """Send again every pending batch nobody touched for `stale_after`: confirmed while Redis was
    down, or its worker died and its message was lost. A second delivery is harmless."""
    cutoff = timezone.now() - stale_after
    ids = list(
        DepositBatch.objects.filter(status__in=DepositBatch.PENDING, touched_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = []
    for batch_id in ids:
        if enqueue(batch_id):
            sent.append(batch_id)
            DepositBatch.objects.filter(pk=batch_id, touched_at__lt=cutoff).update(
                touched_at=timezone.now()
            )
    return sent


# --- Reports --------------------------------------------------------------------------------------

REPORT_CHUNK = 5_000


def _line_status(batch: DepositBatch, transfer_id: int | None) -> str:
    if transfer_id is not None:
        return _("gestort")
    if batch.status in (Status.REJECTED, Status.CANCELLED):
        return _("niet gestort")
    return _("nog niet gestort")


def write_batch_report(*, batch: DepositBatch, out: TextIO) -> None:
    """The result of a batch as `;`-CSV for Excel: one row per line (status, transfer), or, for a
    rejected batch, one row per error. Streams: memory does not grow with the batch."""
    if batch.status == Status.REJECTED:
        header = [_("regel"), _("personeelsnummer"), _("veld"), _("reden")]
        rows = (
            (
                e["line"] if e["line"] is not None else "",
                e["employee_number"],
                e["field"],
                e["message"],
            )
            for e in batch.errors
        )
        write_excel_csv(chain([header], rows), out)
        return
    write_excel_csv(batch_report_rows(batch=batch), out)


def batch_report_rows(*, batch: DepositBatch) -> Iterator[list]:
    yield [
        _("regel"),
        _("personeelsnummer"),
        _("naam"),
        _("bedrag"),
        _("bron"),
        _("einddatum"),
        _("status"),
        _("boeking"),
    ]
    sources = dict(Tranche.Source.choices)
    last = 0
    while True:
        chunk = list(
            DepositBatchLine.objects.filter(batch=batch, line_number__gt=last)
            .order_by("line_number")
            .values_list(
                "line_number",
                "employee_number",
                # The roster's name the employer gave, never the account's own.
                "employment__full_name",
                "amount",
                "source",
                "worker_id",
            )[:REPORT_CHUNK]
        )
        if not chunk:
            return
        keys = {batch.line_key(line_number=row[0], worker_id=row[5]): row[0] for row in chunk}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT idempotency_key, id FROM leerrekening_transfer WHERE idempotency_key = ANY(%s)",
                [list(keys)],
            )
            transfers = {keys[key]: transfer_id for key, transfer_id in cursor.fetchall()}
        for line_number, number, name, amount, source, _worker in chunk:
            name = name or ""
            transfer_id = transfers.get(line_number)
            yield [
                line_number,
                number,
                name,
                f"{amount:.2f}".replace(".", ","),
                str(sources.get(source, source)),
                batch.ends_on.strftime("%d-%m-%Y") if batch.ends_on else "",
                _line_status(batch, transfer_id),
                transfer_id or "",
            ]
        last = chunk[-1][0]
