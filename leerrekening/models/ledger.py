"""The money: a double-entry ledger whose invariants PostgreSQL enforces.

Every cent lives in a ledger account and moves only by an immutable transfer from one account
(`debit_account`, whose balance goes down) to another (`credit_account`, whose balance goes up).
Money enters and leaves the system through the single *external* account (the bank), which is
the only account allowed below zero; so the sum of all balances is always zero.

What the database guarantees, whatever code runs against it:

- a transfer's amount is positive and its two accounts differ (CHECK);
- transfers are append-only: UPDATE and DELETE are refused by a trigger (hand-written, see
  migration 0010_ledger_triggers_without_bypass: no session setting can switch them off);
- balances change only by inserting transfers: a statement-level trigger adds each inserted
  transfer to its two accounts (a bulk insert of 5,000 deposits updates the funder's row once),
  and a guard trigger refuses any other change to a balance;
- worker, funder, reservations and provider balances never go below zero (CHECK);
- an idempotency key is applied at most once (UNIQUE);
- a tranche opens with its whole deposit remaining; afterwards its remainder moves only by
  inserting tranche movements (spending, release, expiry), and stays between zero and what was
  deposited (CHECK);
- a reservation is open, posted or voided, and is settled by at most one transfer.

Worked example (see tests/leerrekening/test_ledger_examples.py): an employer pays EUR 1,000
into its prepaid account (external -> funder), deposits EUR 500 for a worker (funder -> worker,
a tranche ending in five years), the worker books a EUR 300 course (worker -> reservations,
taken from the tranche that ends first), the provider declares the start (reservations ->
provider). Balances: external -1000, funder 500, worker 200, reservations 0, provider 300.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class Funder(models.Model):
    """Who puts money into learning accounts: an employer, a sector fund or the government."""

    class Kind(models.TextChoices):
        EMPLOYER = "employer", _("Werkgever")
        SECTOR_FUND = "sector_fund", _("Sectorfonds (O&O-fonds)")
        GOVERNMENT = "government", _("Overheid")

    name = models.CharField(_("naam"), max_length=200)
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    employer = models.OneToOneField(
        "accounts.Employer",
        verbose_name=_("werkgever"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funder",
    )
    sector = models.ForeignKey(
        "accounts.Sector",
        verbose_name=_("sector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funds",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("financier")
        verbose_name_plural = _("financiers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="employer", employer__isnull=False)
                | (~Q(kind="employer") & Q(employer__isnull=True)),
                name="funder_employer_iff_kind_employer",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        WORKER = "worker", _("Leerrekening")
        FUNDER = "funder", _("Prepaid-rekening financier")
        RESERVATIONS = "reservations", _("Reserveringen")
        PROVIDER = "provider", _("Te betalen aan opleider")
        EXTERNAL = "external", _("Extern (bank)")

    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    worker = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="learning_account",
    )
    funder = models.OneToOneField(
        Funder, null=True, blank=True, on_delete=models.PROTECT, related_name="prepaid_account"
    )
    provider = models.OneToOneField(
        "leerrekening.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payable_account",
    )
    # The reservations (escrow) account is split in shards, each worker's reservations always
    # going to the same one: a booking rush then locks many rows (LEDGER_RESERVATION_SHARDS)
    # instead of one hot row. A reservation is settled from the shard its transfer credited, so
    # the number of shards may change at any time.
    shard = models.PositiveSmallIntegerField(default=0)
    # Maintained by the database (see module docstring); never written from Python.
    balance = models.DecimalField(_("saldo"), default=0, editable=False, **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("grootboekrekening")
        verbose_name_plural = _("grootboekrekeningen")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="external") | Q(balance__gte=0),
                name="ledger_account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="worker",
                        worker__isnull=False,
                        funder__isnull=True,
                        provider__isnull=True,
                    )
                    | Q(
                        kind="funder",
                        worker__isnull=True,
                        funder__isnull=False,
                        provider__isnull=True,
                    )
                    | Q(
                        kind="provider",
                        worker__isnull=True,
                        funder__isnull=True,
                        provider__isnull=False,
                    )
                    | Q(
                        kind__in=["reservations", "external"],
                        worker__isnull=True,
                        funder__isnull=True,
                        provider__isnull=True,
                    )
                ),
                name="ledger_account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "shard"],
                condition=Q(kind__in=["reservations", "external"]),
                name="ledger_account_one_system_account_per_kind_and_shard",
            ),
            models.CheckConstraint(
                condition=Q(kind="reservations") | Q(shard=0),
                name="ledger_account_shard_only_escrow",
            ),
        ]

    def __str__(self) -> str:
        owner = self.worker or self.funder or self.provider
        return f"{self.get_kind_display()}: {owner}" if owner else self.get_kind_display()


class Transfer(models.Model):
    class Kind(models.TextChoices):
        FUNDING = "funding", _("Inleg financier")
        DEPOSIT = "deposit", _("Storting")
        RESERVATION = "reservation", _("Reservering")
        PAYMENT = "payment", _("Betaling aan opleider")
        RELEASE = "release", _("Reservering vrijgegeven")
        EXPIRY = "expiry", _("Vervallen tegoed terug naar financier")
        CORRECTION = "correction", _("Correctie")
        PAYOUT = "payout", _("Uitbetaling")

    debit_account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="debits", db_index=False
    )
    credit_account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="credits", db_index=False
    )
    amount = models.DecimalField(_("bedrag"), **MONEY)
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    # Unique by a constraint, not unique=True: that would add a second (LIKE) index to every insert.
    idempotency_key = models.CharField(max_length=200)
    # sha256 of what the caller asked for, so a retry with other content is recognised.
    request_hash = models.CharField(max_length=64)
    cause = models.CharField(
        _("oorzaak"), max_length=200, blank=True, help_text=_("Bijv. deposit-line:12, booking:7")
    )
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    created_at = models.DateTimeField(_("tijdstip"), auto_now_add=True)

    class Meta:
        verbose_name = _("overboeking")
        verbose_name_plural = _("overboekingen")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="transfer_accounts_differ",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"], name="transfer_idempotency_key_once"
            ),
        ]
        # Every index is paid on each insert, the hot path: only those that reads need.
        indexes = [
            models.Index(
                fields=["reverses"], name="transfer_reversals", condition=Q(reverses__isnull=False)
            ),
            # An account's history, newest first, by keyset pagination.
            models.Index(fields=["debit_account", "-id"], name="transfer_debit_hist"),
            models.Index(fields=["credit_account", "-id"], name="transfer_credit_hist"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} € {self.amount}"


class Tranche(models.Model):
    """One deposit's remainder in a worker's account, with where it came from and when it ends."""

    class Source(models.TextChoices):
        CAO = "cao", _("CAO-bijdrage")
        EXTRA = "extra", _("Extra bijdrage werkgever")
        LEAVE_BONUS = "leave_bonus", _("Omgezet verlof of bonus")
        GOVERNMENT = "government", _("Aanvulling overheid")
        SECTOR = "sector", _("Bijdrage sectorfonds")

    class AtEnd(models.TextChoices):
        RETURN_TO_FUNDER = "return", _("Terug naar de financier")
        KEEP = "keep", _("Blijft op de leerrekening")

    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="tranches")
    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, related_name="tranches")
    source = models.CharField(_("bron"), max_length=20, choices=Source.choices)
    deposit = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, related_name="tranche", verbose_name=_("storting")
    )
    amount = models.DecimalField(_("gestort"), **MONEY)
    # Opens at `amount`; afterwards maintained by the database from tranche movements.
    remaining = models.DecimalField(_("over"), default=0, editable=False, **MONEY)
    # Kept by PostgreSQL from `remaining`. The spending-order index is partial on this column, not
    # on `remaining` itself: a column in an index (or its WHERE) blocks HOT updates, and then every
    # spend wrote a new entry into each of the tranche's indexes. `spendable` only changes when
    # the tranche runs empty, so a spend is an in-page (HOT) update (room: fillfactor, migration
    # 0017).
    spendable = models.GeneratedField(
        expression=Q(remaining__gt=0),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("besteedbaar"),
    )
    ends_on = models.DateField(_("einddatum"), null=True, blank=True)
    at_end = models.CharField(_("aan het eind"), max_length=10, choices=AtEnd.choices)
    ended_at = models.DateTimeField(_("afgesloten op"), null=True, blank=True)
    notified_90_at = models.DateTimeField(null=True, blank=True)
    notified_14_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tegoed")
        verbose_name_plural = _("tegoeden")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="tranche_remaining_within_deposit",
            ),
        ]
        indexes = [
            # Spending order: the tranche that ends first; open-ended ones last.
            models.Index(
                F("account"),
                F("ends_on").asc(nulls_last=True),
                F("id"),
                name="tranche_spending_order",
                condition=Q(spendable=True),
            ),
            models.Index(fields=["ends_on"], name="tranche_ends_on", condition=Q(ended_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.funder} € {self.remaining} / {self.amount}"


class TrancheMovement(models.Model):
    """How a transfer changed one tranche after its deposit: - for spending or expiry, + for a
    release. The deposit itself is the tranche's `deposit` transfer, not a movement (tranches from
    before 2026-12 also have one for it: history only, ignored by the remainder trigger)."""

    # No index of its own: the unique (transfer, tranche) index serves lookups by transfer, and
    # each index costs time on every deposit of a bulk batch.
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="movements")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="tranche_movement_not_zero"),
            models.UniqueConstraint(
                fields=["transfer", "tranche"], name="tranche_movement_once_per_transfer"
            ),
        ]

    def __str__(self) -> str:
        return f"tranche {self.tranche_id}: {self.amount:+} (transfer {self.transfer_id})"


class Reservation(models.Model):
    """Two-phase spending: money held for a booking until the provider starts it, or released."""

    class Status(models.TextChoices):
        OPEN = "open", _("Gereserveerd")
        POSTED = "posted", _("Betaald")
        VOIDED = "voided", _("Vrijgegeven")

    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="reservations"
    )
    payee = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("bedrag"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reserve_transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, related_name="reservation"
    )
    settle_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="settled"
    )
    cause = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reservering")
        verbose_name_plural = _("reserveringen")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="reservation_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="open", settle_transfer__isnull=True, settled_at__isnull=True)
                | Q(
                    status__in=["posted", "voided"],
                    settle_transfer__isnull=False,
                    settled_at__isnull=False,
                ),
                name="reservation_settled_iff_not_open",
            ),
        ]
        indexes = [
            models.Index(fields=["account"], name="reservation_open", condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} € {self.amount} ({self.get_status_display()})"
