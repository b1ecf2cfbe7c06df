"""Reads for the admin's start page: a funder's overview for its staff, ledger health for
coordinators.

Every figure here is an aggregate of the user's own organisation, never anything about one worker:
the prepaid balance, deposits per month, batches in progress, the next run of the scheme rules and
uptake with the suppression rule of leerrekening.deposits.selectors.uptake_by_quarter. The number of queries
is fixed: it does not grow with the number of deposits, batches, schemes or bookings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from accounts.admin_scoping import is_coordinator
from leerrekening.deposits.schemes import period_after, period_start_on
from leerrekening.deposits.selectors import QuarterUptake, funders_of, uptake_by_quarter
from leerrekening.models import (
    Booking,
    Course,
    DepositBatch,
    DepositScheme,
    Funder,
    LedgerCheckRun,
    Provider,
    Tranche,
)
from leerrekening.models.approvals import PENDING_APPROVAL_SQL

# The beat entry that applies the scheme rules (leerportaal/settings.py, daily at 01:00).
SCHEMES_BEAT_ENTRY = "leerrekening-deposit-schemes"
# A ledger check older than this is a warning: the hourly beat task has not run.
LEDGER_CHECK_MAX_AGE = datetime.timedelta(hours=2)

ZERO = Decimal("0.00")


# --- A funder's overview ----------------------------------------------------------------------


@dataclass(frozen=True)
class FunderBalance:
    funder: Funder
    balance: Decimal
    # What confirmed batches that are still running (or stopped) will take from the balance.
    committed: Decimal

    @property
    def available(self) -> Decimal:
        return max(self.balance - self.committed, ZERO)


@dataclass(frozen=True)
class MonthBar:
    month: datetime.date  # the first of the month
    amount: Decimal
    count: int
    # Geometry of the bar in the chart's own units (see DepositsChart).
    x: float
    y: float
    height: float
    label_x: float


@dataclass(frozen=True)
class DepositsChart:
    """Deposits of this year per month, as bars for a server-rendered SVG (no script)."""

    year: int
    bars: list[MonthBar]
    total: Decimal
    count: int
    top: Decimal  # the value of the chart's top line
    width: int = 600
    height: int = 200
    plot_top: int = 16
    plot_bottom: int = 170  # bars stand on this line; month labels below it
    bar_width: float = 36.0

    @property
    def has_deposits(self) -> bool:
        return self.count > 0

    @property
    def label_top(self) -> int:
        return self.plot_top - 4

    @property
    def label_bottom(self) -> int:
        return self.plot_bottom + 18


@dataclass(frozen=True)
class SchemeRun:
    scheme: DepositScheme
    # The period the next run deposits for; None when it deposits nothing for this scheme.
    applies_period: datetime.date | None
    # When this scheme deposits next (at the first run on or after this day); None: never again.
    next_period: datetime.date | None


@dataclass(frozen=True)
class NextSchemeRun:
    at: datetime.datetime  # local time
    schemes: list[SchemeRun]

    @property
    def applying(self) -> list[SchemeRun]:
        return [run for run in self.schemes if run.applies_period is not None]


@dataclass(frozen=True)
class FunderUptake:
    funder: Funder
    quarters: list[QuarterUptake]


@dataclass(frozen=True)
class FunderDashboard:
    balances: list[FunderBalance]
    chart: DepositsChart
    batches_running: list[DepositBatch]
    batches_stopped: list[DepositBatch]
    next_run: NextSchemeRun
    uptake: list[FunderUptake] = field(default_factory=list)

    @property
    def total_balance(self) -> Decimal:
        return sum((b.balance for b in self.balances), ZERO)


def next_scheme_run_at(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """When beat next runs the scheme rules, in local time (from CELERY_BEAT_SCHEDULE)."""
    schedule = settings.CELERY_BEAT_SCHEDULE[SCHEMES_BEAT_ENTRY]["schedule"]
    local_now = timezone.localtime(now or timezone.now())
    start, delta, _now = schedule.remaining_delta(local_now)
    return timezone.localtime(start + delta).replace(second=0, microsecond=0)


def deposits_chart(*, funder_ids: list[int], year: int) -> DepositsChart:
    """Deposits (tranches opened) by these funders in `year`, per local month. One query."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = start + relativedelta(years=1)
    rows = (
        Tranche.objects.filter(funder_id__in=funder_ids, created_at__gte=start, created_at__lt=end)
        .annotate(month=ExtractMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by()
    )
    by_month = {row["month"]: (row["amount"], row["count"]) for row in rows}
    top = _nice_top(max((amount for amount, _ in by_month.values()), default=ZERO))
    chart = DepositsChart(year=year, bars=[], total=ZERO, count=0, top=top)
    plot_height = chart.plot_bottom - chart.plot_top
    slot = chart.width / 12
    bars = []
    for month in range(1, 13):
        amount, count = by_month.get(month, (ZERO, 0))
        height = round(float(amount / top) * plot_height, 1) if top else 0.0
        if amount and height < 1:
            height = 1.0  # a deposit is never invisible
        bars.append(
            MonthBar(
                month=datetime.date(year, month, 1),
                amount=amount,
                count=count,
                x=round((month - 1) * slot + (slot - chart.bar_width) / 2, 1),
                y=round(chart.plot_bottom - height, 1),
                height=height,
                label_x=round((month - 0.5) * slot, 1),
            )
        )
    return DepositsChart(
        year=year,
        bars=bars,
        total=sum((bar.amount for bar in bars), ZERO),
        count=sum(bar.count for bar in bars),
        top=top,
    )


def _nice_top(value: Decimal) -> Decimal:
    """A round number at or above `value` for the chart's top line (1, 2 or 5 times 10^n)."""
    if value <= 0:
        return Decimal("100")
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return Decimal(step) * magnitude
    return 10 * magnitude  # pragma: no cover


def next_run_of_schemes(
    *, funder_ids: list[int], now: datetime.datetime | None = None
) -> NextSchemeRun:
    """The next beat run and what it does for each active scheme of these funders. Two queries:
    the schemes, and which of their current periods already have a batch."""
    at = next_scheme_run_at(now=now)
    day = at.date()
    active = list(
        DepositScheme.objects.filter(funder_id__in=funder_ids, active=True)
        .select_related("employer")
        .order_by("name", "pk")
    )
    periods = {scheme.pk: period_start_on(scheme=scheme, day=day) for scheme in active}
    done: set[tuple[int, datetime.date]] = set()
    wanted = [(pk, start) for pk, start in periods.items() if start is not None]
    if wanted:
        condition = Q()
        for pk, start in wanted:
            condition |= Q(scheme_id=pk, period_start=start)
        done = set(DepositBatch.objects.filter(condition).values_list("scheme_id", "period_start"))
    runs = []
    for scheme in active:
        start = periods[scheme.pk]
        if start is None:
            # Not begun yet (its first period is still to come) or past its last period.
            upcoming = scheme.starts_on if scheme.starts_on > day else None
            runs.append(SchemeRun(scheme=scheme, applies_period=None, next_period=upcoming))
        elif (scheme.pk, start) in done:
            runs.append(
                SchemeRun(
                    scheme=scheme,
                    applies_period=None,
                    next_period=period_after(scheme=scheme, period_start=start),
                )
            )
        else:
            runs.append(SchemeRun(scheme=scheme, applies_period=start, next_period=start))
    return NextSchemeRun(at=at, schemes=runs)


def funder_dashboard(
    *, funders: list[Funder], now: datetime.datetime | None = None
) -> FunderDashboard:
    """The start page of a funder's staff, for these funders (already scoped to the user)."""
    funder_ids = [funder.pk for funder in funders]
    now = now or timezone.now()
    open_batches = list(
        DepositBatch.objects.filter(
            funder_id__in=funder_ids,
            status__in=[*DepositBatch.PENDING, DepositBatch.Status.STOPPED],
        )
        .select_related("funder")
        .order_by("created_at", "pk")
    )
    committed: dict[int, Decimal] = {}
    for batch in open_batches:
        committed[batch.funder_id] = committed.get(batch.funder_id, ZERO) + (
            batch.total - batch.amount_applied
        )
    balances = []
    for funder in funders:
        account = getattr(funder, "prepaid_account", None)
        balances.append(
            FunderBalance(
                funder=funder,
                balance=account.balance if account else ZERO,
                committed=committed.get(funder.pk, ZERO),
            )
        )
    uptake = uptake_by_quarter(funder_ids=funder_ids)
    return FunderDashboard(
        balances=balances,
        chart=deposits_chart(funder_ids=funder_ids, year=timezone.localtime(now).year),
        batches_running=[b for b in open_batches if b.status in DepositBatch.PENDING],
        batches_stopped=[b for b in open_batches if b.status == DepositBatch.Status.STOPPED],
        next_run=next_run_of_schemes(funder_ids=funder_ids, now=now),
        uptake=[FunderUptake(funder=f, quarters=uptake[f.pk]) for f in funders],
    )


def funder_dashboard_for(user, *, now: datetime.datetime | None = None) -> FunderDashboard | None:
    """The funder overview of a funder's staff; None for coordinators and users without a funder."""
    if is_coordinator(user):
        return None
    funders = list(funders_of(user).select_related("prepaid_account").order_by("name", "pk"))
    if not funders:
        return None
    return funder_dashboard(funders=funders, now=now)


# --- The coordinator's overview ---------------------------------------------------------------


@dataclass(frozen=True)
class LedgerHealth:
    last: LedgerCheckRun | None
    stale: bool

    @property
    def state(self) -> str:
        """never, broken, stale or ok."""
        if self.last is None:
            return "never"
        if not self.last.ok:
            return "broken"
        return "stale" if self.stale else "ok"


@dataclass(frozen=True)
class CoordinatorDashboard:
    ledger: LedgerHealth
    providers_pending: int
    courses_pending: int
    frozen_bookings: int
    oldest_frozen_at: datetime.datetime | None
    batches_running: int
    batches_stopped: int
    # Bank statements are not imported yet: None means "not built", and the page leaves the
    # section out. Once camt.053 import exists, the number of unmatched credits goes here.
    unmatched_bank_items: int | None = None

    @property
    def approvals_pending(self) -> int:
        return self.providers_pending + self.courses_pending


def ledger_health(*, now: datetime.datetime | None = None) -> LedgerHealth:
    now = now or timezone.now()
    last = LedgerCheckRun.objects.order_by("-ran_at", "-pk").first()
    stale = last is not None and now - last.ran_at > LEDGER_CHECK_MAX_AGE
    return LedgerHealth(last=last, stale=stale)


def coordinator_dashboard(*, now: datetime.datetime | None = None) -> CoordinatorDashboard:
    """Two queries: the last ledger check, and every count in one statement."""
    provider, course = Provider._meta.db_table, Course._meta.db_table
    booking, batch = Booking._meta.db_table, DepositBatch._meta.db_table
    pending = PENDING_APPROVAL_SQL
    # Table names from the models, values as parameters.
    sql = f"""
        SELECT (SELECT COUNT(*) FROM {provider} WHERE {pending}),
               (SELECT COUNT(*) FROM {course} WHERE {pending}),
               (SELECT COUNT(*) FROM {booking} WHERE status = %s),
               (SELECT MIN(frozen_at) FROM {booking} WHERE status = %s),
               (SELECT COUNT(*) FROM {batch} WHERE status = ANY(%s)),
               (SELECT COUNT(*) FROM {batch} WHERE status = %s)
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                Booking.Status.FROZEN,
                Booking.Status.FROZEN,
                [str(status) for status in DepositBatch.PENDING],
                DepositBatch.Status.STOPPED,
            ],
        )
        providers, courses, frozen, oldest, running, stopped = cursor.fetchone()
    return CoordinatorDashboard(
        ledger=ledger_health(now=now),
        providers_pending=providers,
        courses_pending=courses,
        frozen_bookings=frozen,
        oldest_frozen_at=oldest,
        batches_running=running,
        batches_stopped=stopped,
    )
