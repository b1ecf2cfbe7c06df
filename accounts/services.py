"""Writes about people and employments: starting and ending jobs (the roster import: accounts.roster).

A worker's account belongs to the person (User), never to an employment: ending an employment
touches nothing but its end date, so the learning account and every euro in it stay with the
worker through a job change or unemployment. The database refuses overlapping employments of one
worker at one employer (invariant 7); these services turn that refusal into a domain error.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Employer, Employment, User
from leerportaal.errors import DomainError

EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE for an exclusion constraint


class EmploymentError(DomainError):
    """A change to an employment that the rules refuse; the message is for the user."""

    code = "employment_error"
    status = 422
    default_message = gettext_lazy("Deze wijziging van het dienstverband kan niet.")


class EmploymentOverlap(EmploymentError):
    code = "employment_overlap"
    status = 409
    default_message = gettext_lazy("Deze werknemer is in die periode al bij u in dienst.")


class InvalidEndDate(EmploymentError):
    code = "invalid_end_date"
    status = 422
    default_message = gettext_lazy("Deze einddatum kan niet.")


def _is_overlap(error: IntegrityError) -> bool:
    cause = error.__cause__
    return getattr(cause, "pgcode", None) == EXCLUSION_VIOLATION or "employment_no_overlap" in str(
        error
    )


def format_date(day: datetime.date) -> str:
    """A date as the roster and messages write it: 31-12-2026."""
    return date_format(day, "d-m-Y")


def employment_start(
    *,
    worker: User,
    employer: Employer,
    employee_number: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    full_name: str = "",
    email: str = "",
) -> Employment:
    """Start an employment of `worker` at `employer` on start_date (end_date inclusive, or open).

    full_name and email are the employer's own roster data as the employer gave them; the
    employment keeps those, never the account's own name or login address.

    Invariant: at most one employment per worker and employer on any date (the database's
    exclusion constraint decides). Raises EmploymentOverlap, InvalidEndDate.
    """
    if end_date is not None and end_date < start_date:
        raise InvalidEndDate(_("De einddatum ligt voor de begindatum."))
    try:
        # A savepoint, so a refused insert leaves the caller's transaction usable.
        with transaction.atomic():
            return Employment.objects.create(
                worker=worker,
                employer=employer,
                employee_number=employee_number.strip(),
                full_name=full_name.strip(),
                email=email.strip(),
                start_date=start_date,
                end_date=end_date,
            )
    except IntegrityError as error:
        if _is_overlap(error):
            raise EmploymentOverlap(
                _("Deze werknemer is in die periode al in dienst bij %(employer)s.")
                % {"employer": employer.name}
            ) from error
        raise


@transaction.atomic
def employment_end(*, employment: Employment, end_date: datetime.date) -> Employment:
    """End `employment` on end_date (the last day worked). The worker's account is untouched.

    Only ends or shortens: an employment that already ended on or before end_date is refused, so
    this can never silently reopen a job. Raises InvalidEndDate.
    """
    # Lock the row: two staff members ending the same employment must not both succeed.
    locked = Employment.objects.select_for_update().get(pk=employment.pk)
    if end_date < locked.start_date:
        raise InvalidEndDate(
            _("De einddatum %(end)s ligt voor de begindatum %(start)s.")
            % {"end": format_date(end_date), "start": format_date(locked.start_date)}
        )
    if locked.end_date is not None and locked.end_date <= end_date:
        raise InvalidEndDate(
            _("Dit dienstverband is al beëindigd op %(end)s.")
            % {"end": format_date(locked.end_date)}
        )
    locked.end_date = end_date
    locked.save(update_fields=["end_date"])
    employment.end_date = end_date
    return locked


@transaction.atomic
def employment_hire(
    *,
    employer: Employer,
    email: str,
    full_name: str,
    employee_number: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> Employment:
    """`employer` hires the person with this e-mail address from start_date (to end_date
    inclusive, or open-ended).

    Invariant: only `employer`'s own roster changes. Employments at other employers are neither
    read nor touched: the former employer ends its own employment. The person is found by e-mail
    (case-insensitive); an unknown address becomes a new worker with an unusable password, as in
    the roster import. full_name and email are kept on the employment as the employer gave them:
    the answer never shows the account's own name or says whether the address had an account.
    The learning account is untouched. Raises
    EmploymentOverlap (an employment at this same employer in that period; nothing is changed),
    InvalidEndDate.
    """
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves our transaction usable
                user = User.objects.create_user(email=email, password=None, full_name=full_name)
        except IntegrityError:
            # Created by a concurrent call between our look-up and insert (unique lower(email)).
            user = User.objects.get(email__iexact=email)
    return employment_start(
        worker=user,
        employer=employer,
        employee_number=employee_number,
        start_date=start_date,
        end_date=end_date,
        full_name=full_name,
        email=email,
    )
