"""People, roles, employers and employments.

A person logs in with their e-mail address and can hold several roles at once: a learning
ambassador is also a worker, an employer's HR officer may be a worker too. Roles that belong to an
organisation come from memberships (employer staff here; provider staff in the catalogue), the
others are flags on the user.

A worker's learning account belongs to the person, never to an employment: employments come and
go (job change, unemployment) and the account stays. The database refuses two employments of one
worker with the same employer on overlapping dates (an exclusion constraint on the date range).
"""

from __future__ import annotations

import pghistory
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_coordinator", True)
        return self._create_user(email, password, **extra)


class Role(models.TextChoices):
    WORKER = "worker", _("Werkende")
    EMPLOYER_STAFF = "employer_staff", _("Werkgever")
    AMBASSADOR = "ambassador", _("Leerambassadeur")
    PROVIDER_STAFF = "provider_staff", _("Opleider")
    COORDINATOR = "coordinator", _("Beheer")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mailadres"), unique=True)
    full_name = models.CharField(_("naam"), max_length=200)
    is_worker = models.BooleanField(
        _("werkende"), default=True, help_text=_("Heeft een eigen leerrekening.")
    )
    is_ambassador = models.BooleanField(_("leerambassadeur"), default=False)
    is_coordinator = models.BooleanField(
        _("beheerder"), default=False, help_text=_("Medewerker van het platform (beheer).")
    )
    is_staff = models.BooleanField(
        _("toegang tot beheeromgeving"),
        default=False,
        help_text=_("Mag inloggen in de beheeromgeving (admin)."),
    )
    is_active = models.BooleanField(_("actief"), default=True)
    date_joined = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    # "Dit was ik niet" (accounts/takeover.py): a frozen account books nothing and changes
    # nothing until a coordinator unfreezes it; every session made before the freeze ends.
    frozen_at = models.DateTimeField(
        _("bevroren op"),
        null=True,
        blank=True,
        help_text=_(
            "De persoon meldde een wijziging die hij niet zelf deed. Alleen beheer heft dit op."
        ),
    )
    sessions_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")
        constraints = [
            # E-mail is the login: one account per address, whatever the capitals.
            models.UniqueConstraint(models.functions.Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def _get_session_auth_hash(self, secret=None):
        # Django checks every signed-in request's session against this hash (and signs out a
        # session whose hash differs). Once sessions are revoked, the revocation time is part
        # of it: every session made before ends at its next request, wherever it is stored.
        # Until then the hash is Django's own, so no session ends when this is deployed.
        if self.sessions_revoked_at is None:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}|{self.sessions_revoked_at.isoformat()}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Sector(models.Model):
    """A branch with its own CAO and often its own training fund (O&O-fonds)."""

    name = models.CharField(_("naam"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectoren")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Employer(models.Model):
    name = models.CharField(_("naam"), max_length=200)
    kvk_number = models.CharField(
        _("KvK-nummer"),
        max_length=8,
        unique=True,
        help_text=_("Inschrijvingsnummer bij de Kamer van Koophandel: 8 cijfers."),
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="employers"
    )
    staff = models.ManyToManyField(
        User,
        through="EmployerMembership",
        related_name="employers_managed",
        verbose_name=_("medewerkers met beheerrechten"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("werkgever")
        verbose_name_plural = _("werkgevers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kvk_number__regex=r"^[0-9]{8}$"), name="employer_kvk_8_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EmployerMembership(models.Model):
    """A user who works on behalf of an employer in the admin (HR, payroll)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="employer_memberships")
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("beheerder van werkgever")
        verbose_name_plural = _("beheerders van werkgever")
        constraints = [
            models.UniqueConstraint(fields=["user", "employer"], name="employer_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.employer}"


class DateRange(Func):
    function = "daterange"
    output_field = models.Field()  # only used inside the constraint expression


def employment_runs_on(start_date, end_date, day) -> bool:
    """The rule "employed on `day`" on plain dates: start and end inclusive, no end is open.
    The same rule as a filter (employment_active_on_q) and as SQL (employment_active_on_sql)."""
    return start_date <= day and (end_date is None or day <= end_date)


def employment_active_on_q(day, *, prefix: str = "") -> Q:
    """Employments running on `day`: started on or before it, ending on or after it (or open).
    `prefix` reaches them through a relation, e.g. "employments__" from User."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


def employment_active_on_sql(*, alias: str, day: str) -> str:
    """The same rule as a SQL condition on accounts_employment `alias`; `day` is the SQL text of
    the date (a placeholder such as "%(day)s" or a column). tests/accounts/test_employment_active_on
    checks that both forms select the same rows."""
    return (
        f"({alias}.start_date <= {day} AND ({alias}.end_date IS NULL OR {alias}.end_date >= {day}))"
    )


class EmploymentQuerySet(models.QuerySet):
    def active_on(self, day) -> EmploymentQuerySet:
        """Employments running on `day` (start and end date inclusive, open end)."""
        return self.filter(employment_active_on_q(day))


@pghistory.track()
class Employment(models.Model):
    """A worker's job at an employer, from start_date up to and including end_date (open if null)."""

    worker = models.ForeignKey(
        User, verbose_name=_("werkende"), on_delete=models.PROTECT, related_name="employments"
    )
    employer = models.ForeignKey(
        Employer, verbose_name=_("werkgever"), on_delete=models.PROTECT, related_name="employments"
    )
    employee_number = models.CharField(
        _("personeelsnummer"),
        max_length=50,
        help_text=_("Zoals in de salarisadministratie, voorloopnullen tellen mee."),
    )
    # The employer's own roster data, as the employer gave it. The account's own name and login
    # address are never shown to an employer (DESIGN "Who may see what"), so the roster keeps these.
    full_name = models.CharField(_("naam"), max_length=200, blank=True, default="", db_default="")
    email = models.EmailField(_("e-mailadres werk"), blank=True, default="", db_default="")
    start_date = models.DateField(_("begindatum"))
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmploymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("dienstverband")
        verbose_name_plural = _("dienstverbanden")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="employment_end_after_start",
            ),
            # Invariant 7: at most one employment per worker and employer on any date.
            ExclusionConstraint(
                name="employment_no_overlap",
                expressions=[
                    ("worker", RangeOperators.EQUAL),
                    ("employer", RangeOperators.EQUAL),
                    (
                        DateRange("start_date", "end_date", models.Value("[]")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
            # What a deposit batch line's composite foreign key (employment, worker) refers to:
            # a line pays the very worker of its employment (leerrekening migration 0016).
            models.UniqueConstraint(fields=["id", "worker"], name="employment_id_worker_unique"),
        ]
        indexes = [models.Index(fields=["employer", "employee_number"])]

    def __str__(self) -> str:
        # Roster data only: this string appears in employer-facing admin pages and messages.
        return (
            f"{self.full_name or self.employee_number} — {self.employer} ({self.employee_number})"
        )

    def is_active_on(self, day) -> bool:
        return employment_runs_on(self.start_date, self.end_date, day)


@pghistory.track(exclude=["key_hash", "last_used_at"])
class ApiKey(models.Model):
    """An organisation's key for the REST API (payroll systems, providers).

    Only a hash is stored; the key itself is shown once, at creation. A key belongs to exactly
    one organisation (an employer or a training provider) and acts for it, never for a person.
    """

    name = models.CharField(_("naam"), max_length=100, help_text=_("Bijv. 'Salarissysteem'."))
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    provider = models.ForeignKey(
        "leerrekening.Provider",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API-sleutel")
        verbose_name_plural = _("API-sleutels")
        constraints = [
            models.CheckConstraint(
                condition=Q(employer__isnull=False, provider__isnull=True)
                | Q(employer__isnull=True, provider__isnull=False),
                name="api_key_one_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def organisation(self):
        return self.employer or self.provider
