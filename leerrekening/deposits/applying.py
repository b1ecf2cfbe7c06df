"""Applying confirmed deposit batches: chunk after chunk, by one or several Celery workers.

Invariants (see leerrekening/models/deposits.py): money moves only through
leerrekening.ledger; each line has its own idempotency key, so applying a batch twice, or
again after a crash, applies every line exactly once; each chunk's money and the batch's progress
commit in one transaction. Enqueueing, the sweep of stuck batches and the apply loop are the
shared chunked-batch mechanism (leerrekening.chunked_batches), as for takeovers.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from leerportaal.money import euro
from leerrekening import ledger
from leerrekening.chunked_batches import ChunkedBatches, RunOutcome
from leerrekening.models import DepositBatch, DepositBatchChunk

Status = DepositBatch.Status

# The task takes (batch_id, fan_out=True): with fan_out it may ask for helpers
# (settings.DEPOSIT_BATCH_WORKERS) to share a batch of several chunks.
DEPOSIT_BATCHES = ChunkedBatches(model=DepositBatch, task="leerrekening.tasks.deposit_batch_apply")

ApplyOutcome = RunOutcome

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
                    "available": euro(error.available),
                    "count": chunk.line_count,
                    "requested": euro(error.requested),
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
) -> RunOutcome:
    """Apply a confirmed batch, chunk after chunk, until it is done or stops.

    Safe to run any number of times, concurrently too: each run claims chunks nobody holds, and
    the line keys make a replay move nothing. `helpers`: how many more runs to ask Celery for
    when there is more than one chunk to apply, so that several workers share the batch.
    """
    chunk_size = chunk_size or settings.DEPOSIT_BATCH_CHUNK_SIZE
    left = _plan_chunks(batch_id, chunk_size)
    if left is None:
        return RunOutcome(status="idle")
    for _helper in range(min(helpers, left - 1)):
        DEPOSIT_BATCHES.enqueue(batch_id, False)
    return DEPOSIT_BATCHES.run(batch_id, apply_next_chunk=_apply_next_chunk, finish=_finish)


def deposit_batches_sweep(*, stale_after: datetime.timedelta) -> list[int]:
    """Send again every pending batch nobody touched for `stale_after`: confirmed while Redis was
    down, or its worker died and its message was lost. A second delivery is harmless."""
    return DEPOSIT_BATCHES.sweep(stale_after=stale_after)
