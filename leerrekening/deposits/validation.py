"""Validating a deposit batch against the roster, completely, before any money moves.

A batch is applied only when every line is good (DESIGN.md): this module finds every bad line and
says why, and returns the good lines resolved to employments, ready for the ledger. It reads the
file once, streaming, and resolves employee numbers set-based: one query per chunk of lines, never
one per line, so 100,000 lines validate in seconds. The good lines are kept in compact arrays
(a few dozen bytes per line), not as objects, so memory stays small for large batches.
"""

from __future__ import annotations

import datetime
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING, BinaryIO, TextIO, overload

from django.db import connection
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Employment, employment_runs_on
from leerportaal.excel_csv import write_excel_csv
from leerportaal.money import euro
from leerrekening.deposits.parsing import (
    AMBIGUOUS_EMPLOYEE,
    COLUMN_LABELS,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_LINES,
    DUPLICATE_LINE,
    EMPLOYMENT_NOT_ACTIVE,
    FILE_TOO_LARGE,
    SOURCES,
    TOTAL_ABOVE_BALANCE,
    UNKNOWN_EMPLOYEE,
    LineError,
    ParsedLine,
    parse_deposit_csv,
)

if TYPE_CHECKING:
    from accounts.models import Employer

NO_LINES = "no_lines"
CHUNK_SIZE = 5_000
CENT = Decimal("0.01")
EMPLOYMENT_TABLE = Employment._meta.db_table


@dataclass(frozen=True, slots=True)
class ValidLine:
    line_number: int
    employment_id: int
    worker_id: int
    amount: Decimal
    source: str
    description: str


class ValidLines(Sequence[ValidLine]):
    """The good lines of a batch, stored column-wise in arrays; read them as ValidLine objects."""

    def __init__(self) -> None:
        self._line = array("q")
        self._employment = array("q")
        self._worker = array("q")
        self._cents = array("q")
        self._source = array("B")
        self._description = array("l")
        self._texts: list[str] = []
        self._text_index: dict[str, int] = {}
        self.total_cents = 0

    def append(
        self,
        *,
        line_number: int,
        employment_id: int,
        worker_id: int,
        amount: Decimal,
        source: str,
        description: str,
    ) -> None:
        cents = int(amount * 100)
        self._line.append(line_number)
        self._employment.append(employment_id)
        self._worker.append(worker_id)
        self._cents.append(cents)
        self._source.append(SOURCES.index(source))
        index = self._text_index.get(description)
        if index is None:
            index = self._text_index[description] = len(self._texts)
            self._texts.append(description)
        self._description.append(index)
        self.total_cents += cents

    def __len__(self) -> int:
        return len(self._line)

    def _at(self, i: int) -> ValidLine:
        return ValidLine(
            line_number=self._line[i],
            employment_id=self._employment[i],
            worker_id=self._worker[i],
            amount=Decimal(self._cents[i]).scaleb(-2),
            source=SOURCES[self._source[i]],
            description=self._texts[self._description[i]],
        )

    @overload
    def __getitem__(self, index: int) -> ValidLine: ...
    @overload
    def __getitem__(self, index: slice) -> list[ValidLine]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._at(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._at(index)

    def __iter__(self) -> Iterator[ValidLine]:
        for i in range(len(self)):
            yield self._at(i)

    def columns(self) -> dict[str, str | list[str]]:
        """The lines as PostgreSQL array literals, one per column, for storing them all in one
        statement: line numbers, employment ids, cents, source (index into SOURCES) and
        description (index into `texts`, the distinct descriptions, 1-based in SQL)."""

        def literal(values: array) -> str:
            return "{" + ",".join(map(str, values)) + "}"

        return {
            "line_numbers": literal(self._line),
            "employments": literal(self._employment),
            "cents": literal(self._cents),
            "sources": literal(self._source),
            "descriptions": literal(self._description),
            "texts": list(self._texts),
        }


@dataclass(slots=True)
class BatchValidation:
    lines: ValidLines
    errors: list[LineError]
    total: Decimal
    available_balance: Decimal

    @property
    def is_valid(self) -> bool:
        """Apply only when this is True: no bad line at all, and at least one good one."""
        return not self.errors and len(self.lines) > 0


def validate_deposit_batch(
    stream: BinaryIO,
    *,
    employer: Employer,
    on_date: datetime.date,
    available_balance: Decimal,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_lines: int = DEFAULT_MAX_LINES,
    chunk_size: int = CHUNK_SIZE,
) -> BatchValidation:
    """Check every line of a deposit CSV for `employer` on `on_date`; touch no money.

    Invariant: `is_valid` is True only if every line names exactly one employment of this employer
    active on on_date, no employee number appears twice, every amount is a positive whole-cent
    Decimal, and the total fits in available_balance. Errors are sorted by line number, file-level
    errors (line_number None) last. Queries: one per `chunk_size` good lines.
    """
    lines = ValidLines()
    errors: list[LineError] = []
    first_line: dict[str, int] = {}
    pending: list[ParsedLine] = []
    too_large = False

    for item in parse_deposit_csv(stream, max_bytes=max_bytes, max_lines=max_lines):
        if isinstance(item, LineError):
            errors.append(item)
            too_large = too_large or item.code == FILE_TOO_LARGE
            continue
        first = first_line.setdefault(item.employee_number, item.line_number)
        if first != item.line_number:
            errors.append(_duplicate_error(item, first))
            continue
        pending.append(item)
        if len(pending) >= chunk_size:
            _resolve_chunk(pending, employer=employer, on_date=on_date, lines=lines, errors=errors)
            pending.clear()
    if pending and not too_large:
        _resolve_chunk(pending, employer=employer, on_date=on_date, lines=lines, errors=errors)
    del first_line, pending

    total = Decimal(lines.total_cents).scaleb(-2)
    if total > available_balance:
        errors.append(
            LineError(
                None,
                "amount",
                TOTAL_ABOVE_BALANCE,
                _(
                    "Het totaal van dit bestand (%(total)s) is hoger dan het tegoed van de "
                    "werkgever (%(balance)s). Stort eerst bij, of maak het bestand kleiner."
                )
                % {"total": euro(total), "balance": euro(available_balance)},
            )
        )
    if not errors and not lines:
        errors.append(LineError(None, "file", NO_LINES, _("Het bestand bevat geen stortingen.")))
    errors.sort(key=lambda e: (e.line_number is None, e.line_number or 0))
    return BatchValidation(
        lines=lines, errors=errors, total=total, available_balance=available_balance
    )


def _duplicate_error(item: ParsedLine, first: int) -> LineError:
    return LineError(
        item.line_number,
        "employee_number",
        DUPLICATE_LINE,
        _(
            "Personeelsnummer %(number)s staat ook al op regel %(first)d. Zet iedere werknemer "
            "maar één keer in het bestand."
        )
        % {"number": item.employee_number, "first": first},
        item.employee_number,
    )


def _resolve_chunk(
    pending: list[ParsedLine],
    *,
    employer: Employer,
    on_date: datetime.date,
    lines: ValidLines,
    errors: list[LineError],
) -> None:
    """One query for the whole chunk: every employment of this employer with these numbers."""
    numbers = {p.employee_number for p in pending}
    candidates: dict[str, list[tuple[int, int, datetime.date, datetime.date | None]]] = {}
    with connection.cursor() as cursor:
        # Plain SQL with one array parameter: the ORM's IN (...) of 5,000 numbers costs more
        # in Python than the query does in PostgreSQL.
        cursor.execute(
            f"SELECT employee_number, id, worker_id, start_date, end_date FROM {EMPLOYMENT_TABLE}"  # noqa: S608 — constants only
            " WHERE employer_id = %s AND employee_number = ANY(%s)",
            [employer.pk, list(numbers)],
        )
        rows = cursor.fetchall()
    for number, employment_id, worker_id, start, end in rows:
        candidates.setdefault(number, []).append((employment_id, worker_id, start, end))

    for item in pending:
        found = candidates.get(item.employee_number)
        if not found:
            errors.append(
                LineError(
                    item.line_number,
                    "employee_number",
                    UNKNOWN_EMPLOYEE,
                    _(
                        "Personeelsnummer %(number)s staat niet in het personeelsbestand van %(employer)s."
                    )
                    % {"number": item.employee_number, "employer": employer.name},
                    item.employee_number,
                )
            )
            continue
        active = [c for c in found if employment_runs_on(c[2], c[3], on_date)]
        if not active:
            errors.append(
                LineError(
                    item.line_number,
                    "employee_number",
                    EMPLOYMENT_NOT_ACTIVE,
                    _("Personeelsnummer %(number)s is op %(date)s niet in dienst bij %(employer)s.")
                    % {
                        "number": item.employee_number,
                        "date": date_format(on_date, "d-m-Y"),
                        "employer": employer.name,
                    },
                    item.employee_number,
                )
            )
            continue
        if len(active) > 1:
            # Two people with one number on one day: a roster mistake; never guess who gets paid.
            errors.append(
                LineError(
                    item.line_number,
                    "employee_number",
                    AMBIGUOUS_EMPLOYEE,
                    _(
                        "Personeelsnummer %(number)s hoort bij meer dan één werknemer. Pas eerst "
                        "het personeelsbestand aan."
                    )
                    % {"number": item.employee_number},
                    item.employee_number,
                )
            )
            continue
        employment_id, worker_id, _start, _end = active[0]
        lines.append(
            line_number=item.line_number,
            employment_id=employment_id,
            worker_id=worker_id,
            amount=item.amount,
            source=item.source,
            description=item.description,
        )


REPORT_FIELD_LABELS = {**COLUMN_LABELS, "file": "bestand"}


def write_validation_report(validation: BatchValidation, out: TextIO) -> None:
    """Write the errors as `;`-separated CSV with a BOM (Excel opens it as is), one row per error.

    Cells are escaped against formula injection: the file echoes what the uploader typed.
    """
    header = [_("regel"), _("personeelsnummer"), _("veld"), _("reden")]
    rows = (
        (
            "" if error.line_number is None else error.line_number,
            error.employee_number,
            REPORT_FIELD_LABELS.get(error.field, error.field),
            error.message,
        )
        for error in validation.errors
    )
    write_excel_csv(chain([header], rows), out)
