"""Importing an employer's roster (personeelsbestand): a CSV of employees, hires and leavers.

The whole file is checked first; every line's employment change goes through accounts.services
(employment_start, employment_end), so the rules of a job change are those of a single hire.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import Employer, Employment, User
from accounts.services import (
    EmploymentError,
    EmploymentOverlap,
    employment_end,
    employment_start,
    format_date,
)
from leerportaal.excel_csv import ExcelCsvReader

ROSTER_MAX_BYTES = 10 * 1024 * 1024
ROSTER_MAX_LINES = 50_000

# --- Roster import -------------------------------------------------------------------------------

ROSTER_COLUMNS = {
    "personeelsnummer": "employee_number",
    "personeelsnr": "employee_number",
    "employee_number": "employee_number",
    "email": "email",
    "e-mail": "email",
    "e-mailadres": "email",
    "emailadres": "email",
    "naam": "name",
    "name": "name",
    "begindatum": "start_date",
    "start_date": "start_date",
    "einddatum": "end_date",
    "end_date": "end_date",
}
ROSTER_REQUIRED = ("employee_number", "email", "name", "start_date")
ROSTER_LABELS = {
    "employee_number": "personeelsnummer",
    "email": "email",
    "name": "naam",
    "start_date": "begindatum",
    "end_date": "einddatum",
}
_DUTCH_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True, slots=True)
class RosterLineError:
    line_number: int | None
    field: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RosterLine:
    line_number: int
    employee_number: str
    email: str
    name: str
    start_date: datetime.date
    end_date: datetime.date | None


@dataclass(slots=True)
class RosterImportResult:
    errors: list[RosterLineError] = field(default_factory=list)
    employments_created: int = 0
    employments_ended: int = 0
    unchanged: int = 0
    # For audit and tests only: showing it to employer staff would tell them who already has an
    # account on the platform.
    users_created: int = 0

    @property
    def applied(self) -> bool:
        return not self.errors


def parse_roster_date(text: str) -> datetime.date:
    """dd-mm-jjjj (also with / or .) or jjjj-mm-dd; raises ValueError."""
    value = text.strip()
    if match := _DUTCH_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise ValueError(value)
    return datetime.date(year, month, day)


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start <= (b_end or datetime.date.max) and b_start <= (a_end or datetime.date.max)


def _read_roster(
    stream: BinaryIO, errors: list[RosterLineError], *, max_bytes: int, max_lines: int
) -> list[RosterLine]:
    reader = ExcelCsvReader(stream, max_bytes=max_bytes, max_lines=max_lines)
    if reader.unreadable:
        errors.append(
            RosterLineError(
                1,
                "file",
                "encoding",
                _("We kunnen dit bestand niet lezen. Sla het in Excel op als 'CSV UTF-8'."),
            )
        )
        return []
    if reader.header is None and not reader.too_large:
        errors.append(RosterLineError(1, "file", "missing_column", _("Het bestand is leeg.")))
        return []
    positions: dict[str, int] = {}
    for index, name in enumerate(reader.header or []):
        column = ROSTER_COLUMNS.get(name.strip().lower())
        if column and column not in positions:
            positions[column] = index
    missing = [c for c in ROSTER_REQUIRED if c not in positions]
    if reader.header is not None and missing:
        for column in missing:
            errors.append(
                RosterLineError(
                    1,
                    column,
                    "missing_column",
                    _(
                        "De kolom '%(column)s' ontbreekt in de eerste regel. Nodig zijn: "
                        "personeelsnummer; email; naam; begindatum; en eventueel einddatum."
                    )
                    % {"column": ROSTER_LABELS[column]},
                )
            )
        return []

    lines: list[RosterLine] = []
    for record in reader:
        n = record.line_number
        if record.fields is None or not record.decodable:
            errors.append(
                RosterLineError(
                    n,
                    "file",
                    "encoding",
                    _(
                        "Regel %(line)d bevat tekens die we niet kunnen lezen. Sla het bestand op "
                        "als 'CSV UTF-8' en probeer het opnieuw."
                    )
                    % {"line": n},
                )
            )
            continue
        values = {
            c: (record.fields[i].strip() if i < len(record.fields) else "")
            for c, i in positions.items()
        }
        line_errors: list[RosterLineError] = []
        for column in ROSTER_REQUIRED:
            if not values[column]:
                line_errors.append(
                    RosterLineError(
                        n,
                        column,
                        "missing_column",
                        _("De %(column)s ontbreekt.") % {"column": ROSTER_LABELS[column]},
                    )
                )
        email = values["email"].lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                line_errors.append(
                    RosterLineError(
                        n,
                        "email",
                        "invalid_email",
                        _("'%(value)s' is geen geldig e-mailadres.") % {"value": values["email"]},
                    )
                )
        dates: dict[str, datetime.date | None] = {"start_date": None, "end_date": None}
        for column in ("start_date", "end_date"):
            if values.get(column):
                try:
                    dates[column] = parse_roster_date(values[column])
                except ValueError:
                    line_errors.append(
                        RosterLineError(
                            n,
                            column,
                            "invalid_date",
                            _(
                                "'%(value)s' is geen geldige %(column)s. Schrijf de datum als "
                                "31-12-2026 of 2026-12-31."
                            )
                            % {"value": values[column], "column": ROSTER_LABELS[column]},
                        )
                    )
        start, end = dates["start_date"], dates["end_date"]
        if start and end and end < start:
            line_errors.append(
                RosterLineError(
                    n, "end_date", "invalid_end_date", _("De einddatum ligt voor de begindatum.")
                )
            )
        if line_errors:
            errors.extend(line_errors)
            continue
        assert start is not None  # noqa: S101 (narrowing: required and parsed above)
        lines.append(RosterLine(n, values["employee_number"], email, values["name"], start, end))
    if reader.too_large:
        errors.append(
            RosterLineError(
                None,
                "file",
                "file_too_large",
                _("Het bestand is te groot. Splits het in kleinere bestanden."),
            )
        )
    return lines


def roster_import(
    *,
    employer: Employer,
    stream: BinaryIO,
    by: User,
    max_bytes: int = ROSTER_MAX_BYTES,
    max_lines: int = ROSTER_MAX_LINES,
) -> RosterImportResult:
    """Bring `employer`'s roster in line with a CSV: new people, new and ended employments.

    All or nothing: the whole file is checked first (dates, e-mail, overlaps with the roster and
    within the file, an employee number held by two people at once), every bad line reported; if
    any line is bad nothing changes. A line matches an existing employment by worker e-mail and
    begindatum; then only its end date can change. Unknown e-mail addresses become new workers
    with an unusable password (they set one through a password reset). `by` is who imports; the
    caller has checked that they may manage this employer.
    """
    result = RosterImportResult()
    lines = _read_roster(stream, result.errors, max_bytes=max_bytes, max_lines=max_lines)
    if result.errors:
        return result

    emails = {line.email for line in lines}
    users = {
        u.email.lower(): u for u in User.objects.annotate(e=Lower("email")).filter(e__in=emails)
    }
    numbers = {line.employee_number for line in lines}
    user_ids = [u.pk for u in users.values()]
    existing = list(
        Employment.objects.filter(employer=employer)
        .filter(employee_number__in=numbers)
        .union(Employment.objects.filter(employer=employer, worker_id__in=user_ids))
    )
    by_worker_start = {(e.worker_id, e.start_date): e for e in existing}
    email_of_worker = {u.pk: email for email, u in users.items()}

    # What the roster will look like per worker and per employee number after this import.
    planned_by_email: dict[str, list[tuple[int | None, datetime.date, datetime.date | None]]] = (
        defaultdict(list)
    )
    planned_by_number: dict[
        str, list[tuple[str, int | None, datetime.date, datetime.date | None]]
    ] = defaultdict(list)
    for e in existing:
        email = email_of_worker.get(e.worker_id, f"#{e.worker_id}")
        planned_by_email[email].append((None, e.start_date, e.end_date))
        planned_by_number[e.employee_number].append((email, None, e.start_date, e.end_date))

    actions: list[tuple[RosterLine, Employment | None]] = []
    for line in lines:
        user = users.get(line.email)
        match = by_worker_start.get((user.pk, line.start_date)) if user else None
        if match is not None:
            if match.employee_number != line.employee_number:
                result.errors.append(
                    RosterLineError(
                        line.line_number,
                        "employee_number",
                        "employee_number_mismatch",
                        _(
                            "Dit dienstverband (begonnen op %(start)s) heeft personeelsnummer "
                            "%(number)s, niet %(given)s."
                        )
                        % {
                            "start": format_date(line.start_date),
                            "number": match.employee_number,
                            "given": line.employee_number,
                        },
                    )
                )
                continue
            if match.end_date is not None and (
                line.end_date is None or line.end_date > match.end_date
            ):
                # Reopening or extending by file is refused: a stale export must not restart a job.
                result.errors.append(
                    RosterLineError(
                        line.line_number,
                        "end_date",
                        "already_ended",
                        _(
                            "Dit dienstverband is al beëindigd op %(end)s. Verlengen of heropenen "
                            "kan niet via de import."
                        )
                        % {"end": format_date(match.end_date)},
                    )
                )
                continue
            # The line replaces what the roster says for this employment.
            planned_by_email[line.email] = [
                p for p in planned_by_email[line.email] if p[1] != line.start_date
            ]
            planned_by_number[line.employee_number] = [
                p
                for p in planned_by_number[line.employee_number]
                if not (p[0] == line.email and p[2] == line.start_date)
            ]
        clash = next(
            (
                p
                for p in planned_by_email[line.email]
                if _overlaps(p[1], p[2], line.start_date, line.end_date)
            ),
            None,
        )
        if clash is not None:
            result.errors.append(_overlap_error(line, employer, clash[0]))
            continue
        taken = next(
            (
                p
                for p in planned_by_number[line.employee_number]
                if p[0] != line.email and _overlaps(p[2], p[3], line.start_date, line.end_date)
            ),
            None,
        )
        if taken is not None:
            if taken[1]:
                message = _(
                    "Personeelsnummer %(number)s staat in dit bestand ook bij iemand anders, in "
                    "dezelfde periode (regel %(line)d)."
                ) % {"number": line.employee_number, "line": taken[1]}
            else:
                message = _(
                    "Personeelsnummer %(number)s hoort in die periode al bij iemand anders."
                ) % {"number": line.employee_number}
            result.errors.append(
                RosterLineError(
                    line.line_number, "employee_number", "employee_number_taken", message
                )
            )
            continue
        planned_by_email[line.email].append((line.line_number, line.start_date, line.end_date))
        planned_by_number[line.employee_number].append(
            (line.email, line.line_number, line.start_date, line.end_date)
        )
        actions.append((line, match))
    if result.errors:
        result.errors.sort(key=lambda e: (e.line_number is None, e.line_number or 0))
        return result

    current: RosterLine | None = None
    try:
        with transaction.atomic():
            for current, match in actions:
                _apply_roster_line(current, match, employer=employer, result=result)
    except EmploymentOverlap:
        # Someone changed the roster between our check and this write: nothing was applied.
        assert current is not None  # noqa: S101 (only raised while applying a line)
        return RosterImportResult(errors=[_overlap_error(current, employer, None)])
    except (EmploymentError, IntegrityError):
        return RosterImportResult(
            errors=[
                RosterLineError(
                    current.line_number if current else None,
                    "file",
                    "conflict",
                    _("Het personeelsbestand is intussen gewijzigd. Probeer het opnieuw."),
                )
            ]
        )
    return result


def _overlap_error(line: RosterLine, employer: Employer, other_line: int | None) -> RosterLineError:
    if other_line:
        message = _(
            "%(email)s staat in dit bestand al met een dienstverband in dezelfde periode "
            "(regel %(line)d)."
        ) % {"email": line.email, "line": other_line}
    else:
        message = _(
            "%(email)s is in die periode al in dienst bij %(employer)s. Beëindig eerst het "
            "bestaande dienstverband, of pas de datums aan."
        ) % {"email": line.email, "employer": employer.name}
    return RosterLineError(line.line_number, "start_date", "overlap", message)


def _apply_roster_line(
    line: RosterLine, match: Employment | None, *, employer: Employer, result: RosterImportResult
) -> None:
    if match is not None:
        # Checked before: the line keeps the end date, or ends or shortens the employment.
        if match.end_date == line.end_date:
            result.unchanged += 1
        else:
            assert line.end_date is not None  # noqa: S101 (extending was refused above)
            employment_end(employment=match, end_date=line.end_date)
            result.employments_ended += 1
        return
    user = User.objects.filter(email__iexact=line.email).first()
    if user is None:
        user = User.objects.create_user(email=line.email, password=None, full_name=line.name)
        result.users_created += 1
    employment_start(
        worker=user,
        employer=employer,
        employee_number=line.employee_number,
        start_date=line.start_date,
        end_date=line.end_date,
        full_name=line.name,
        email=line.email,
    )
    result.employments_created += 1
