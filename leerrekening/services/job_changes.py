"""Job changes (overstap) and takeovers (overname): employments move, learning accounts stay.

Invariant: a job change touches employments only. The worker's learning account, its balance and
every tranche (funder, source, end date) are untouched: they belong to the person. Scheme deposits
follow the employment (see leerrekening/deposits/schemes.py): the old employer's stop, the new one's begin.

A takeover moves many employments from employer A to employer B as one Celery batch: the lines
are stored first, then applied in chunks; each line's outcome commits with its employment change
and the batch's progress, so a re-run or a redelivery after a crash moves nobody twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import TextIO

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Employer, Employment, User
from accounts.services import EmploymentError, employment_end, employment_start
from leerportaal.errors import DomainError
from leerrekening.chunked_batches import ChunkedBatches
from leerrekening.models import TakeoverBatch, TakeoverLine

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200


# Enqueueing, sweeping and the apply loop: the chunked-batch mechanism deposits use too.
TAKEOVER_BATCHES = ChunkedBatches(model=TakeoverBatch, task="leerrekening.tasks.takeover_apply")


class TakeoverError(DomainError):
    """A takeover the rules refuse; the message is for the user."""

    code = "takeover_error"
    status = 422
    default_message = gettext_lazy("Deze overname kan niet.")


@transaction.atomic
def job_change(
    *,
    employment: Employment,
    to_employer: Employer,
    employee_number: str,
    start_date: datetime.date,
) -> Employment:
    """The worker leaves `employment` the day before start_date and starts at to_employer on
    start_date. Only employments change. Raises accounts.services.EmploymentError (nothing is
    changed then: both steps are one transaction)."""
    last_day = start_date - datetime.timedelta(days=1)
    if employment.end_date is None or employment.end_date > last_day:
        employment_end(employment=employment, end_date=last_day)
    return employment_start(
        worker=employment.worker,
        employer=to_employer,
        employee_number=employee_number,
        start_date=start_date,
        # The roster data goes with the staff: the old employer's, never the account's own.
        full_name=employment.full_name,
        email=employment.email,
    )


def employments_for_takeover(*, employer: Employer, transfer_date: datetime.date):
    """Employments of `employer` that run into transfer_date and started before it."""
    return Employment.objects.filter(employer=employer, start_date__lt=transfer_date).active_on(
        transfer_date
    )


@transaction.atomic
def takeover_create(
    *,
    from_employer: Employer,
    to_employer: Employer,
    transfer_date: datetime.date,
    by: User | None,
    employment_ids: list[int] | None = None,
) -> TakeoverBatch:
    """Store a takeover of every (or the chosen) employment of from_employer running on
    transfer_date, keeping each employee number, and hand it to Celery after commit."""
    if from_employer.pk == to_employer.pk:
        raise TakeoverError(_("Kies twee verschillende werkgevers."))
    employments = employments_for_takeover(employer=from_employer, transfer_date=transfer_date)
    if employment_ids is not None:
        employments = employments.filter(pk__in=employment_ids)
    rows = list(employments.order_by("employee_number", "pk").values_list("pk", "employee_number"))
    if not rows:
        raise TakeoverError(
            _("%(employer)s heeft op %(date)s geen werknemers in dienst om over te zetten.")
            % {"employer": from_employer.name, "date": date_format(transfer_date, "d-m-Y")}
        )
    now = timezone.now()
    batch = TakeoverBatch.objects.create(
        from_employer=from_employer,
        to_employer=to_employer,
        transfer_date=transfer_date,
        status=TakeoverBatch.Status.CONFIRMED,
        line_count=len(rows),
        created_by=by,
        touched_at=now,
    )
    TakeoverLine.objects.bulk_create(
        [
            TakeoverLine(batch=batch, line_number=n, from_employment_id=pk, employee_number=number)
            for n, (pk, number) in enumerate(rows, 1)
        ],
        batch_size=1000,
    )
    TAKEOVER_BATCHES.enqueue_on_commit(batch.pk)
    return batch


def _apply_next_chunk(batch_id: int, chunk_size: int) -> tuple[str, int]:
    """Apply the next `chunk_size` lines under the batch row's lock (skipped when another worker
    holds it: "busy"); returns (state, lines done now), "done" when no line is left."""
    with transaction.atomic():
        batch = (
            TakeoverBatch.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("to_employer")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None:
            busy = TakeoverBatch.objects.filter(pk=batch_id).exists()
            return ("busy" if busy else "idle"), 0
        if batch.status not in TakeoverBatch.PENDING:
            return "idle", 0
        lines = list(
            TakeoverLine.objects.filter(batch=batch, line_number__gt=batch.last_line)
            .select_related("from_employment")
            .order_by("line_number")[:chunk_size]
        )
        now = timezone.now()
        if not lines:
            batch.status = TakeoverBatch.Status.DONE
            batch.finished_at = now
            batch.touched_at = now
            batch.save(update_fields=["status", "finished_at", "touched_at"])
            return "done", 0
        for line in lines:
            if line.outcome != TakeoverLine.Outcome.PENDING:  # applied by an earlier run
                continue
            try:
                new = job_change(
                    employment=line.from_employment,
                    to_employer=batch.to_employer,
                    employee_number=line.employee_number,
                    start_date=batch.transfer_date,
                )
            except EmploymentError as error:
                line.outcome = TakeoverLine.Outcome.SKIPPED
                line.message = str(error)[:300]
                batch.skipped += 1
            else:
                line.outcome = TakeoverLine.Outcome.MOVED
                line.new_employment = new
                batch.moved += 1
            line.save(update_fields=["outcome", "message", "new_employment"])
        batch.last_line = lines[-1].line_number
        batch.lines_done += len(lines)
        batch.status = TakeoverBatch.Status.RUNNING
        batch.touched_at = now
        batch.save(
            update_fields=["last_line", "lines_done", "moved", "skipped", "status", "touched_at"]
        )
        return "more", len(lines)


def takeover_apply(*, batch_id: int, chunk_size: int = CHUNK_SIZE) -> str:
    """Apply a takeover until done; safe to repeat and to run concurrently (see module doc)."""
    outcome = TAKEOVER_BATCHES.run(
        batch_id, apply_next_chunk=lambda pk: _apply_next_chunk(pk, chunk_size)
    )
    return outcome.status


def takeovers_sweep(*, stale_after: datetime.timedelta) -> list[int]:
    """Send again every pending takeover nobody touched for `stale_after`."""
    return TAKEOVER_BATCHES.sweep(stale_after=stale_after)


def write_takeover_report(*, batch: TakeoverBatch, out: TextIO) -> None:
    TAKEOVER_BATCHES.write_report(takeover_report_rows(batch=batch), out)


def takeover_report_rows(*, batch: TakeoverBatch) -> Iterator[list]:
    yield [_("regel"), _("personeelsnummer"), _("naam"), _("uitkomst"), _("toelichting")]
    lines = (
        TakeoverLine.objects.filter(batch=batch)
        .select_related("from_employment")
        .order_by("line_number")
    )
    for line in lines.iterator(chunk_size=1000):
        yield [
            line.line_number,
            line.employee_number,
            line.from_employment.full_name,
            line.get_outcome_display(),
            line.message,
        ]
