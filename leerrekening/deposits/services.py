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
from collections.abc import Iterable
from decimal import Decimal
from itertools import islice
from typing import BinaryIO

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Employer, Employment, User
from leerportaal.money import euro
from leerrekening import ledger
from leerrekening.deposits.applying import DEPOSIT_BATCHES
from leerrekening.deposits.errors import (
    BatchNotConfirmable,
    EmploymentNotActive,
    EndDateTooLate,
    FundsTooLow,
    RosterChanged,
)
from leerrekening.deposits.parsing import (
    SOURCE_CAO,
    SOURCE_EXTRA,
    SOURCE_GOVERNMENT,
    SOURCE_LEAVE_BONUS,
    SOURCES,
)
from leerrekening.deposits.validation import ValidLines, validate_deposit_batch
from leerrekening.models import DepositBatch, DepositBatchLine, Funder, Tranche
from leerrekening.models.deposits import MAX_VALID_YEARS

Status = DepositBatch.Status
INSERT_PAGE = 5_000

# The CSV's Dutch source words -> the tranche's source.
CSV_SOURCES = {
    SOURCE_CAO: Tranche.Source.CAO,
    SOURCE_EXTRA: Tranche.Source.EXTRA,
    SOURCE_LEAVE_BONUS: Tranche.Source.LEAVE_BONUS,
    SOURCE_GOVERNMENT: Tranche.Source.GOVERNMENT,
}


def add_years(day: datetime.date, years: int) -> datetime.date:
    """`years` later on the same day; 29 February becomes 28 February."""
    return day + relativedelta(years=years)


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


def deposit_lines_insert(batch: DepositBatch, rows: Iterable[tuple]) -> None:
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
            % {"total": euro(locked.total), "available": euro(available)},
            account_id=ledger.account_for_funder(funder=locked.funder).pk,
            available=available,
            requested=locked.total,
        )
    now = timezone.now()
    locked.status = Status.CONFIRMED
    locked.confirmed_by = by
    locked.confirmed_at = now
    locked.touched_at = now
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "touched_at"])
    DEPOSIT_BATCHES.enqueue_on_commit(locked.pk)
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
            % {"available": euro(available)},
            account_id=ledger_account.pk,
            available=available,
            requested=amount,
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
    DEPOSIT_BATCHES.enqueue_on_commit(batch.pk)
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
    DEPOSIT_BATCHES.enqueue_on_commit(locked.pk)
    return locked
