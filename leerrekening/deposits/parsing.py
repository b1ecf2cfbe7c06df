"""Parsing a deposit batch (CSV) into lines, without touching the database.

A batch file has one deposit per line: employee number and amount, optionally the source of the
money and a description. The parser accepts what Dutch spreadsheets produce (see
leerportaal.excel_csv) and turns each line into either a ParsedLine or one or more LineErrors with a
stable machine code, a field and a plain-Dutch message. Amounts become Decimal with exactly two
places; anything that could be misread by a factor of 1,000 ("12.500") is refused, not guessed.

Looking up employees is leerrekening.deposits.validation's job; this module is pure and streaming.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from leerportaal.excel_csv import ExcelCsvReader

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_LINES = 200_000

# Sources of money (DESIGN.md "Provenance"); the ledger's tranche keeps the same values.
SOURCE_CAO = "cao"
SOURCE_EXTRA = "extra"
SOURCE_LEAVE_BONUS = "verlof_bonus"
SOURCE_GOVERNMENT = "overheid"
SOURCES = (SOURCE_CAO, SOURCE_EXTRA, SOURCE_LEAVE_BONUS, SOURCE_GOVERNMENT)
SOURCE_ALIASES = {
    "cao": SOURCE_CAO,
    "extra": SOURCE_EXTRA,
    "verlof_bonus": SOURCE_LEAVE_BONUS,
    "verlof/bonus": SOURCE_LEAVE_BONUS,
    "verlof": SOURCE_LEAVE_BONUS,
    "bonus": SOURCE_LEAVE_BONUS,
    "overheid": SOURCE_GOVERNMENT,
}

# Header names, case-insensitive; Dutch first, English accepted.
COLUMN_ALIASES = {
    "personeelsnummer": "employee_number",
    "personeelsnr": "employee_number",
    "employee_number": "employee_number",
    "employee number": "employee_number",
    "bedrag": "amount",
    "amount": "amount",
    "bron": "source",
    "source": "source",
    "omschrijving": "description",
    "description": "description",
}
REQUIRED_COLUMNS = ("employee_number", "amount")
COLUMN_LABELS = {
    "employee_number": "personeelsnummer",
    "amount": "bedrag",
    "source": "bron",
    "description": "omschrijving",
}
MAX_DESCRIPTION = 200
# DecimalField(max_digits=12, decimal_places=2): ten digits before the comma.
MAX_INTEGER_DIGITS = 10

# Machine codes, stable for the API.
UNKNOWN_EMPLOYEE = "unknown_employee"
AMBIGUOUS_EMPLOYEE = "ambiguous_employee"
EMPLOYMENT_NOT_ACTIVE = "employment_not_active"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_TOO_PRECISE = "amount_too_precise"
AMOUNT_NOT_A_NUMBER = "amount_not_a_number"
AMOUNT_TOO_LARGE = "amount_too_large"
UNKNOWN_SOURCE = "unknown_source"
DESCRIPTION_TOO_LONG = "description_too_long"
DUPLICATE_LINE = "duplicate_line"
MISSING_COLUMN = "missing_column"
FILE_TOO_LARGE = "file_too_large"
TOTAL_ABOVE_BALANCE = "total_above_balance"
ENCODING = "encoding"


@dataclass(frozen=True, slots=True)
class ParsedLine:
    line_number: int
    employee_number: str
    amount: Decimal
    source: str
    description: str


@dataclass(frozen=True, slots=True)
class LineError:
    """Why a line (or, with line_number None, the whole file) cannot be applied."""

    line_number: int | None
    field: str  # employee_number, amount, source, description, file
    code: str
    message: str
    employee_number: str = ""


class AmountError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The common shapes, 12 / 12,50 / 12.50, skip the general parser (most of a 100k-line file).
_SIMPLE_AMOUNT = re.compile(r"\d{1,10}(?:[.,]\d{1,2})?")
_CURRENCY = re.compile(r"€|eur|\s", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def parse_amount(text: str) -> Decimal:
    """'12,50', '12.50', '1.234,56', '1,234.56', '€ 12,50' -> Decimal with two places.

    One separator is the decimal sign; with both, the last one is. Thousands groups must have three
    digits. More than two decimals is refused even if they are zeros: '12.500' is 12,500 euros to a
    Dutch reader and 12.5 to an English one, so we ask instead of guessing.
    """
    value = text.strip()
    if _SIMPLE_AMOUNT.fullmatch(value):
        amount = Decimal(value.replace(",", "."))
        if amount <= 0:
            raise AmountError(AMOUNT_NOT_POSITIVE, _not_positive(text))
        return amount.quantize(Decimal("0.01"))
    value = _CURRENCY.sub("", value)
    if not value:
        raise AmountError(AMOUNT_NOT_A_NUMBER, _("Het bedrag ontbreekt."))
    negative = False
    if value[0] in "+-":
        negative = value[0] == "-"
        value = value[1:]
    elif value.endswith("-"):  # some bookkeeping exports put the minus sign last
        negative = True
        value = value[:-1]
    last_comma, last_dot = value.rfind(","), value.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_sign = "," if last_comma > last_dot else "."
    elif last_comma >= 0:
        decimal_sign = "," if value.count(",") == 1 else ""
    elif last_dot >= 0:
        decimal_sign = "." if value.count(".") == 1 else ""
    else:
        decimal_sign = ""
    if decimal_sign:
        integer, _sep, fraction = value.rpartition(decimal_sign)
    else:
        integer, fraction = value, ""
    thousands = {",": ".", ".": ",", "": None}[decimal_sign]
    groups = integer.split(thousands) if thousands else [integer]
    if len(groups) == 1 and not thousands:
        # No decimal sign but several equal separators: 1.234.567 or 1,234,567.
        for sep in ",.":
            if sep in integer:
                groups = integer.split(sep)
    if not all(_DIGITS.fullmatch(g) for g in groups) or (
        fraction and not _DIGITS.fullmatch(fraction)
    ):
        raise AmountError(AMOUNT_NOT_A_NUMBER, _not_a_number(text))
    if len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
        raise AmountError(AMOUNT_NOT_A_NUMBER, _not_a_number(text))
    if len(fraction) > 2:
        raise AmountError(
            AMOUNT_TOO_PRECISE,
            _(
                "Het bedrag %(value)s heeft meer dan 2 cijfers achter de komma. "
                "Schrijf euro's en centen, bijvoorbeeld 12,50 of 1234,00."
            )
            % {"value": text.strip()},
        )
    digits = "".join(groups).lstrip("0")
    if len(digits) > MAX_INTEGER_DIGITS:
        raise AmountError(
            AMOUNT_TOO_LARGE, _("Het bedrag %(value)s is te hoog.") % {"value": text.strip()}
        )
    amount = Decimal(f"{digits or '0'}.{fraction:0<2}")
    if negative or amount <= 0:
        raise AmountError(AMOUNT_NOT_POSITIVE, _not_positive(text))
    return amount


def _not_positive(text: str) -> str:
    return _("Het bedrag moet hoger zijn dan 0. Er staat: %(value)s.") % {"value": text.strip()}


def _not_a_number(text: str) -> str:
    return _("Het bedrag %(value)s is geen getal. Schrijf het zo: 12,50.") % {"value": text.strip()}


def file_too_large_error(kind: str, *, max_bytes: int, max_lines: int) -> LineError:
    if kind == "lines":
        message = _(
            "Het bestand heeft meer dan %(max)d regels. Splits het in kleinere bestanden."
        ) % {"max": max_lines}
    else:
        message = _("Het bestand is groter dan %(max)s. Splits het in kleinere bestanden.") % {
            "max": filesizeformat(max_bytes)
        }
    return LineError(None, "file", FILE_TOO_LARGE, message)


def encoding_error(line_number: int) -> LineError:
    return LineError(
        line_number,
        "file",
        ENCODING,
        _(
            "Regel %(line)d bevat tekens die we niet kunnen lezen. Sla het bestand in Excel op "
            "als 'CSV UTF-8' en probeer het opnieuw."
        )
        % {"line": line_number},
    )


def parse_deposit_csv(
    stream: BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_lines: int = DEFAULT_MAX_LINES,
) -> Iterator[ParsedLine | LineError]:
    """Yield, line by line, a ParsedLine for each good line and LineErrors for each bad one.

    Stops after the header when a required column is missing, and after a file_too_large error
    (always the last item then). Blank lines are skipped. Memory does not grow with the file.
    """
    reader = ExcelCsvReader(stream, max_bytes=max_bytes, max_lines=max_lines)
    if reader.too_large:
        yield file_too_large_error(reader.too_large, max_bytes=max_bytes, max_lines=max_lines)
        return
    if reader.unreadable:
        yield encoding_error(1)
        return
    if reader.header is None:
        yield LineError(
            1,
            "file",
            MISSING_COLUMN,
            _(
                "Het bestand is leeg. De eerste regel moet de kolomnamen bevatten: personeelsnummer en bedrag."
            ),
        )
        return
    positions: dict[str, int] = {}
    for index, name in enumerate(reader.header):
        column = COLUMN_ALIASES.get(name.strip().strip('"').lower())
        if column and column not in positions:
            positions[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    for column in missing:
        yield LineError(
            1,
            column,
            MISSING_COLUMN,
            _(
                "De kolom '%(column)s' ontbreekt in de eerste regel. Nodig zijn de kolommen "
                "personeelsnummer en bedrag, gescheiden door ; of ,."
            )
            % {"column": COLUMN_LABELS[column]},
        )
    if missing:
        return

    width = len(reader.header)
    i_number, i_amount = positions["employee_number"], positions["amount"]
    i_source, i_description = positions.get("source"), positions.get("description")
    needed = max(i_number, i_amount) + 1
    # Descriptions repeat across a batch ("Kerstbonus 2026"); share one string per distinct text.
    descriptions: dict[str, str] = {"": ""}

    for record in reader:
        line = record.line_number
        fields = record.fields
        if fields is None or not record.decodable:
            yield encoding_error(line)
            continue
        count = len(fields)
        if count < needed or (count > width and any(f.strip() for f in fields[width:])):
            yield LineError(
                line,
                "file",
                MISSING_COLUMN,
                _(
                    "Deze regel heeft %(found)d kolommen, de eerste regel %(expected)d. Staat er "
                    "een ; of , in een bedrag of omschrijving? Zet die tekst dan tussen "
                    "aanhalingstekens."
                )
                % {"found": count, "expected": width},
            )
            continue
        number = fields[i_number].strip()
        errors: list[LineError] = []
        if not number:
            errors.append(
                LineError(
                    line, "employee_number", MISSING_COLUMN, _("Het personeelsnummer ontbreekt.")
                )
            )
        amount = None
        try:
            amount = parse_amount(fields[i_amount])
        except AmountError as error:
            errors.append(LineError(line, "amount", error.code, error.message, number))
        source = SOURCE_CAO
        if i_source is not None and i_source < count:
            raw_source = fields[i_source].strip()
            if raw_source:
                found = SOURCE_ALIASES.get(raw_source.lower().replace(" ", "_").replace("-", "_"))
                if found is None:
                    errors.append(
                        LineError(
                            line,
                            "source",
                            UNKNOWN_SOURCE,
                            _("Onbekende bron '%(value)s'. Kies uit: %(choices)s.")
                            % {"value": raw_source, "choices": ", ".join(SOURCES)},
                            number,
                        )
                    )
                else:
                    source = found
        description = ""
        if i_description is not None and i_description < count:
            text = fields[i_description].strip()
            if len(text) > MAX_DESCRIPTION:
                errors.append(
                    LineError(
                        line,
                        "description",
                        DESCRIPTION_TOO_LONG,
                        _("De omschrijving is langer dan %(max)d tekens.")
                        % {"max": MAX_DESCRIPTION},
                        number,
                    )
                )
            else:
                description = descriptions.get(text, text)
                if len(descriptions) < 1000:  # bounded: unique texts must not pile up
                    descriptions.setdefault(text, text)
        if errors:
            yield from errors
            continue
        assert amount is not None  # noqa: S101 (narrowing for the type checker, not a check)
        yield ParsedLine(line, number, amount, source, description)

    if reader.too_large:
        yield file_too_large_error(reader.too_large, max_bytes=max_bytes, max_lines=max_lines)
