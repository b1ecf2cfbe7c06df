"""Deposits by funders: batches, scheme rules (CAO regelingen) and takeovers between employers.

A deposit batch is the unit of work for Celery. Whatever made it (a CSV upload, a single deposit
in the admin, a scheme rule's period), it is a row in DepositBatch with its lines in
DepositBatchLine, stored before any money moves. Applying it first divides the lines, in
line-number order, into chunks (DepositBatchChunk, planned once); each chunk is then applied in
one database transaction that moves the chunk's money through the ledger
(leerrekening.ledger.deposits_create), marks the chunk applied AND adds to the batch's
progress (`lines_applied`, `amount_applied`). So progress is never ahead of or behind the ledger,
and a worker killed at any moment leaves a batch whose unapplied chunks the next run applies.
Several workers apply one batch side by side: each claims a chunk nobody holds (row lock, SKIP
LOCKED), and the funder's row, which every chunk updates, is locked only from its update to commit.

Exactly once, in three layers:

- every line has an idempotency key (`line_key`): a re-run, a duplicate delivery or a retry after
  a crash replays a line that was applied instead of moving money again;
- a batch's lines are unique by line number and by worker, so nobody is in a batch twice;
- a scheme makes at most one batch per period (UNIQUE scheme, period_start), and its line keys
  name the scheme, the period and the worker: once per worker per period.

The confirmation of a batch never depends on Redis: the batch is stored as confirmed and enqueued
after commit; a beat sweeper re-enqueues confirmed batches that nobody touched for a while.

A takeover (overname) moves many employments from one employer to another the same way: lines
stored first, applied in chunks that commit each line's outcome with the employment change.
Learning accounts and tranches are never touched by a job change: they belong to the worker.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from leerrekening.models.ledger import MONEY, Funder, Tranche

# Dutch tax practice (DESIGN.md): a deposit stays tax-free for at most five years.
MAX_VALID_YEARS = 5


@pghistory.track()
class DepositScheme(models.Model):
    """A CAO rule: every active employee of `employer` gets `amount` per period from `funder`.

    Eligible for a period: whoever is employed by the employer on the period's first day. So after
    a job change, the old employer's deposits stop and the new one's begin with the first period
    that starts on or after the start date.
    """

    class Period(models.TextChoices):
        MONTH = "month", _("per maand")
        QUARTER = "quarter", _("per kwartaal")
        YEAR = "year", _("per jaar")

    name = models.CharField(_("naam"), max_length=200)
    funder = models.ForeignKey(
        Funder, verbose_name=_("financier"), on_delete=models.PROTECT, related_name="schemes"
    )
    employer = models.ForeignKey(
        "accounts.Employer",
        verbose_name=_("werkgever"),
        on_delete=models.PROTECT,
        related_name="deposit_schemes",
        help_text=_("Iedere werknemer van deze werkgever krijgt de storting."),
    )
    amount = models.DecimalField(_("bedrag per werknemer"), **MONEY)
    period = models.CharField(_("periode"), max_length=10, choices=Period.choices)
    starts_on = models.DateField(_("eerste periode begint op"))
    ends_on = models.DateField(_("laatste periode begint uiterlijk op"), null=True, blank=True)
    valid_years = models.PositiveSmallIntegerField(
        _("geldig (jaren)"),
        default=MAX_VALID_YEARS,
        help_text=_("Hoe lang een storting te gebruiken is: 1 tot en met 5 jaar (belastingvrij)."),
    )
    at_end = models.CharField(
        _("aan het eind"),
        max_length=10,
        choices=Tranche.AtEnd.choices,
        default=Tranche.AtEnd.RETURN_TO_FUNDER,
    )
    source = models.CharField(
        _("bron"), max_length=20, choices=Tranche.Source.choices, default=Tranche.Source.CAO
    )
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("regeling")
        verbose_name_plural = _("regelingen")
        ordering = ["employer__name", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="scheme_amount_positive"),
            models.CheckConstraint(
                condition=Q(valid_years__gte=1, valid_years__lte=MAX_VALID_YEARS),
                name="scheme_valid_at_most_5_years",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="scheme_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DepositBatch(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("CSV-bestand")
        SINGLE = "single", _("Losse storting")
        SCHEME = "scheme", _("Regeling")

    class Status(models.TextChoices):
        REJECTED = "rejected", _("Afgekeurd")
        VALIDATED = "validated", _("Gecontroleerd, wacht op bevestiging")
        CONFIRMED = "confirmed", _("Bevestigd, in de wachtrij")
        RUNNING = "running", _("Bezig")
        DONE = "done", _("Klaar")
        STOPPED = "stopped", _("Gestopt")
        CANCELLED = "cancelled", _("Geannuleerd")

    # Statuses in which a batch still has to be applied (the sweeper's and the task's concern).
    PENDING = (Status.CONFIRMED, Status.RUNNING)

    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    funder = models.ForeignKey(
        Funder, verbose_name=_("financier"), on_delete=models.PROTECT, related_name="batches"
    )
    employer = models.ForeignKey(
        "accounts.Employer",
        verbose_name=_("werkgever"),
        on_delete=models.PROTECT,
        related_name="deposit_batches",
        help_text=_("Wiens personeelsbestand de personeelsnummers bepaalt."),
    )
    scheme = models.ForeignKey(
        DepositScheme,
        verbose_name=_("regeling"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    period_start = models.DateField(_("periode"), null=True, blank=True)
    deposit_date = models.DateField(
        _("stortingsdatum"), help_text=_("Op deze datum moeten de werknemers in dienst zijn.")
    )
    ends_on = models.DateField(_("geldig tot en met"), null=True, blank=True)
    at_end = models.CharField(_("aan het eind"), max_length=10, choices=Tranche.AtEnd.choices)
    description = models.CharField(_("omschrijving"), max_length=200, blank=True)
    file_name = models.CharField(_("bestand"), max_length=255, blank=True)

    line_count = models.PositiveIntegerField(_("regels"), default=0)
    total = models.DecimalField(_("totaal"), default=0, **MONEY)
    # Progress, committed in the same transaction as each chunk's money.
    lines_applied = models.PositiveIntegerField(_("verwerkt"), default=0)
    amount_applied = models.DecimalField(_("gestort"), default=0, **MONEY)

    errors = models.JSONField(_("fouten"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("aantal fouten"), default=0)
    stop_code = models.CharField(max_length=50, blank=True)
    stop_message = models.TextField(_("reden van stoppen"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aangemaakt door"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bevestigd door"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True)
    started_at = models.DateTimeField(_("begonnen op"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    # Last sign of life; the sweeper re-enqueues pending batches not touched for a while.
    touched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stortingsbatch")
        verbose_name_plural = _("stortingsbatches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "period_start"],
                condition=Q(scheme__isnull=False),
                name="deposit_batch_once_per_scheme_period",
            ),
            models.CheckConstraint(
                condition=Q(kind="scheme", scheme__isnull=False, period_start__isnull=False)
                | (~Q(kind="scheme") & Q(scheme__isnull=True, period_start__isnull=True)),
                name="deposit_batch_scheme_iff_kind_scheme",
            ),
            models.CheckConstraint(
                condition=Q(lines_applied__lte=F("line_count")) & Q(amount_applied__lte=F("total")),
                name="deposit_batch_progress_within_batch",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "touched_at"],
                name="deposit_batch_pending",
                condition=Q(status__in=["confirmed", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return _("Batch %(id)s (%(kind)s)") % {"id": self.pk, "kind": self.get_kind_display()}

    @property
    def percent(self) -> int:
        if not self.line_count:
            return 100 if self.status == self.Status.DONE else 0
        return int(100 * self.lines_applied / self.line_count)

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    def line_key(self, *, line_number: int, worker_id: int) -> str:
        """The ledger idempotency key of one line: stable across re-runs and redeliveries."""
        if self.kind == self.Kind.SCHEME:
            # Per worker per period, whatever the batch row: exactly once per worker per period.
            return f"scheme:{self.scheme_id}:{self.period_start:%Y-%m-%d}:worker:{worker_id}"
        return f"batch:{self.pk}:line:{line_number}"

    def line_key_sql(self) -> tuple[str, dict]:
        """line_key as SQL over a row `bl` of this batch's lines, with its parameters: the ledger
        computes the keys of a chunk itself. Kept in step with line_key by a test."""
        if self.kind == self.Kind.SCHEME:
            return (
                "'scheme:' || %(key_scheme)s::text || ':' || %(key_period)s::text || ':worker:'"
                " || bl.worker_id::text",
                {"key_scheme": self.scheme_id, "key_period": f"{self.period_start:%Y-%m-%d}"},
            )
        return "'batch:' || bl.batch_id::text || ':line:' || bl.line_number::text", {}

    def line_cause(self, *, line_number: int) -> str:
        """What a line's transfer names as its cause."""
        return f"deposit-batch:{self.pk}:line:{line_number}"


class DepositBatchLine(models.Model):
    """One deposit of a batch, resolved to an employment when the batch was validated."""

    batch = models.ForeignKey(
        DepositBatch, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    line_number = models.PositiveIntegerField(_("regel"))
    # No separate indexes: lines are read per batch in line order (the unique index serves that);
    # every index would cost time on each of a 100,000-line batch's inserts.
    # One foreign key for both columns, (employment, worker) -> the employment's (id, worker), in
    # migration 0016 (Django has no composite foreign keys): the line pays the very worker of its
    # employment, and a 100,000-line batch is checked 100,000 times fewer than with two keys.
    employment = models.ForeignKey(
        "accounts.Employment",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    employee_number = models.CharField(_("personeelsnummer"), max_length=50)
    amount = models.DecimalField(_("bedrag"), **MONEY)
    source = models.CharField(_("bron"), max_length=20, choices=Tranche.Source.choices)
    description = models.CharField(_("omschrijving"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("storting")
        verbose_name_plural = _("stortingen")
        ordering = ["batch", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_number"], name="batch_line_once"),
            models.UniqueConstraint(fields=["batch", "worker"], name="batch_worker_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="batch_line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_number} {self.employee_number} € {self.amount}"


class DepositBatchChunk(models.Model):
    """A run of a batch's lines (in line-number order) applied in one transaction.

    Planned once when the batch is first applied; `applied_at` is set in the same transaction as
    the chunk's money, so a chunk is applied exactly once however many workers try (each claims
    an unapplied chunk with a row lock, skipping chunks another worker holds).
    """

    batch = models.ForeignKey(DepositBatch, on_delete=models.PROTECT, related_name="chunks")
    number = models.PositiveIntegerField()
    first_line = models.PositiveIntegerField()
    last_line = models.PositiveIntegerField()
    line_count = models.PositiveIntegerField()
    total = models.DecimalField(**MONEY)
    applied_at = models.DateTimeField(null=True, blank=True)
    # What this chunk's transaction moved itself (lines applied before, e.g. by a scheme run
    # that was made again, are replayed and not counted).
    lines_applied = models.PositiveIntegerField(default=0)
    amount_applied = models.DecimalField(default=0, **MONEY)

    class Meta:
        verbose_name = _("deel van een batch")
        verbose_name_plural = _("delen van een batch")
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="deposit_chunk_once"),
            models.CheckConstraint(
                condition=Q(first_line__lte=F("last_line")), name="deposit_chunk_lines_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.number}: {self.first_line}-{self.last_line}"


class TakeoverBatch(models.Model):
    """A takeover or reorganisation: many employments move from one employer to another at once."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Bevestigd, in de wachtrij")
        RUNNING = "running", _("Bezig")
        DONE = "done", _("Klaar")

    PENDING = (Status.CONFIRMED, Status.RUNNING)

    from_employer = models.ForeignKey(
        "accounts.Employer",
        verbose_name=_("van werkgever"),
        on_delete=models.PROTECT,
        related_name="takeovers_out",
    )
    to_employer = models.ForeignKey(
        "accounts.Employer",
        verbose_name=_("naar werkgever"),
        on_delete=models.PROTECT,
        related_name="takeovers_in",
    )
    transfer_date = models.DateField(
        _("eerste werkdag bij de nieuwe werkgever"),
        help_text=_("Het oude dienstverband eindigt de dag ervoor."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    line_count = models.PositiveIntegerField(_("werknemers"), default=0)
    last_line = models.PositiveIntegerField(default=0, editable=False)
    lines_done = models.PositiveIntegerField(_("verwerkt"), default=0)
    moved = models.PositiveIntegerField(_("overgezet"), default=0)
    skipped = models.PositiveIntegerField(_("overgeslagen"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aangemaakt door"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("overname")
        verbose_name_plural = _("overnames")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_employer=F("to_employer")), name="takeover_employers_differ"
            ),
            models.CheckConstraint(
                condition=Q(lines_done__lte=F("line_count")), name="takeover_progress_within"
            ),
        ]

    def __str__(self) -> str:
        return _("Overname %(id)s") % {"id": self.pk}

    @property
    def percent(self) -> int:
        if not self.line_count:
            return 100 if self.status == self.Status.DONE else 0
        return int(100 * self.lines_done / self.line_count)


class TakeoverLine(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("Nog niet verwerkt")
        MOVED = "moved", _("Overgezet")
        SKIPPED = "skipped", _("Overgeslagen")

    batch = models.ForeignKey(TakeoverBatch, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField(_("regel"))
    from_employment = models.ForeignKey(
        "accounts.Employment", on_delete=models.PROTECT, related_name="+"
    )
    new_employment = models.ForeignKey(
        "accounts.Employment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    employee_number = models.CharField(_("nieuw personeelsnummer"), max_length=50)
    outcome = models.CharField(
        _("uitkomst"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    message = models.CharField(_("toelichting"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("overnameregel")
        verbose_name_plural = _("overnameregels")
        ordering = ["batch", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_number"], name="takeover_line_once"),
            models.UniqueConstraint(
                fields=["batch", "from_employment"], name="takeover_employment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_number}"
