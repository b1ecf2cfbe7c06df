"""Scheme rules (CAO regelingen): every active employee gets a fixed amount per period.

Invariant: a worker gets a scheme's deposit at most once per period. The database holds at most
one batch per scheme and period (UNIQUE scheme, period_start), a batch at most one line per worker,
and the ledger key of each line names scheme, period and worker. Beat may fire twice, a worker may
die half way: the period's batch is found, not made again, and its lines replay.

Eligible: whoever is employed by the scheme's employer on the period's first day. After a job
change the old employer's deposits stop and the new employer's begin with the first period that
starts on or after the start date; the learning account itself is untouched.
"""

from __future__ import annotations

import datetime
import logging

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Employment
from leerrekening.deposits.applying import DEPOSIT_BATCHES
from leerrekening.deposits.services import deposit_lines_insert, ends_on_for
from leerrekening.models import DepositBatch, DepositScheme

logger = logging.getLogger(__name__)

MONTHS = {
    DepositScheme.Period.MONTH: 1,
    DepositScheme.Period.QUARTER: 3,
    DepositScheme.Period.YEAR: 12,
}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    # A day 29-31 is clamped to the month's end (periods start on day 1..28 in practice).
    return day + relativedelta(months=months)


def period_start_on(*, scheme: DepositScheme, day: datetime.date) -> datetime.date | None:
    """The first day of the scheme's period that contains `day`; None before the first period or
    after the last one."""
    if day < scheme.starts_on:
        return None
    step = MONTHS[scheme.period]
    months = (day.year - scheme.starts_on.year) * 12 + day.month - scheme.starts_on.month
    index = months // step
    start = _add_months(scheme.starts_on, index * step)
    if start > day:
        start = _add_months(scheme.starts_on, (index - 1) * step)
    if scheme.ends_on is not None and start > scheme.ends_on:
        return None
    return start


def period_after(*, scheme: DepositScheme, period_start: datetime.date) -> datetime.date | None:
    """The first day of the period after the one starting on `period_start`; None when the scheme
    has no further period."""
    start = _add_months(period_start, MONTHS[scheme.period])
    if scheme.ends_on is not None and start > scheme.ends_on:
        return None
    return start


def scheme_period_run(*, scheme: DepositScheme, period_start: datetime.date) -> DepositBatch:
    """Make (once) and enqueue the batch of one period: one line per worker employed by the
    scheme's employer on period_start. Returns the period's batch, new or existing."""
    existing = DepositBatch.objects.filter(scheme=scheme, period_start=period_start).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _scheme_batch_create(scheme=scheme, period_start=period_start)
    except IntegrityError:
        # Beat fired twice at once: the other run made the period's batch.
        return DepositBatch.objects.get(scheme=scheme, period_start=period_start)


def _scheme_batch_create(*, scheme: DepositScheme, period_start: datetime.date) -> DepositBatch:
    employments = list(
        Employment.objects.filter(employer_id=scheme.employer_id)
        .active_on(period_start)
        .order_by("worker_id", "pk")
        .distinct("worker_id")
        .values_list("pk", "worker_id", "employee_number")
    )
    now = timezone.now()
    batch = DepositBatch.objects.create(
        kind=DepositBatch.Kind.SCHEME,
        status=DepositBatch.Status.CONFIRMED if employments else DepositBatch.Status.DONE,
        funder_id=scheme.funder_id,
        employer_id=scheme.employer_id,
        scheme=scheme,
        period_start=period_start,
        deposit_date=period_start,
        ends_on=ends_on_for(deposit_date=period_start, valid_years=scheme.valid_years),
        at_end=scheme.at_end,
        description=scheme.name[:200],
        line_count=len(employments),
        total=scheme.amount * len(employments),
        confirmed_at=now,
        touched_at=now,
        finished_at=None if employments else now,
    )
    deposit_lines_insert(
        batch,
        (
            (number, employment_id, worker_id, employee_number, scheme.amount, scheme.source, "")
            for number, (employment_id, worker_id, employee_number) in enumerate(employments, 1)
        ),
    )
    if employments:
        DEPOSIT_BATCHES.enqueue_on_commit(batch.pk)
    return batch


def schemes_run_due(*, today: datetime.date | None = None) -> list[DepositBatch]:
    """Daily (beat): for every active scheme whose current period has begun, its period's batch.
    Running it again the same period finds the same batch."""
    today = today or timezone.localdate()
    batches = []
    for scheme in DepositScheme.objects.filter(active=True, starts_on__lte=today).order_by("pk"):
        period_start = period_start_on(scheme=scheme, day=today)
        if period_start is None:
            continue
        batches.append(scheme_period_run(scheme=scheme, period_start=period_start))
    logger.info("schemes_run_due %s: %d period batches", today, len(batches))
    return batches
