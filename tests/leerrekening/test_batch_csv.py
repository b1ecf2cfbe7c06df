"""The deposit CSV parser accepts what Dutch Excel writes and names every bad line.

Pure parsing: no database.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from leerportaal.excel_csv import escape_formula
from leerrekening.deposits.parsing import (
    AmountError,
    LineError,
    ParsedLine,
    parse_amount,
    parse_deposit_csv,
)


def parse(data: bytes | str, *, max_bytes: int = 1_000_000, max_lines: int = 1_000):
    if isinstance(data, str):
        data = data.encode()
    return list(parse_deposit_csv(io.BytesIO(data), max_bytes=max_bytes, max_lines=max_lines))


def good(items) -> list[ParsedLine]:
    return [i for i in items if isinstance(i, ParsedLine)]


def bad(items) -> list[LineError]:
    return [i for i in items if isinstance(i, LineError)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,50", "12.50"),
        ("12.50", "12.50"),
        ("12", "12.00"),
        ("12,5", "12.50"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567,00", "1234567.00"),
        ("1.234.567", "1234567.00"),
        ("€ 12,50", "12.50"),
        ("€12,50", "12.50"),
        ("12,50 €", "12.50"),
        ("EUR 12,50", "12.50"),
        (" 12,50 ", "12.50"),
        ("1 234,56", "1234.56"),
        ("0,01", "0.01"),
    ],
)
def test_amounts_in_dutch_and_english_notation_become_exact_decimals(text, expected):
    amount = parse_amount(text)
    assert amount == Decimal(expected)
    assert str(amount) == expected  # two places, no float detour


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0", "amount_not_positive"),
        ("0,00", "amount_not_positive"),
        ("-12,50", "amount_not_positive"),
        ("€ -5", "amount_not_positive"),
        ("12,505", "amount_too_precise"),
        # Could be 12.5 or 12,500 euros: refused rather than guessed.
        ("12.500", "amount_too_precise"),
        ("1,234", "amount_too_precise"),
        ("abc", "amount_not_a_number"),
        ("", "amount_not_a_number"),
        ("12,50,3", "amount_not_a_number"),
        ("1.23,45", "amount_not_a_number"),
        ("12a", "amount_not_a_number"),
        ("1e3", "amount_not_a_number"),
        ("NaN", "amount_not_a_number"),
        ("12345678901", "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused_with_their_own_code(text, code):
    with pytest.raises(AmountError) as raised:
        parse_amount(text)
    assert raised.value.code == code
    assert raised.value.message


def test_semicolon_file_with_bom_and_crlf_is_read():
    items = parse(b"\xef\xbb\xbfpersoneelsnummer;bedrag\r\n000101;12,50\r\n0042;7\r\n")
    assert items == [
        ParsedLine(2, "000101", Decimal("12.50"), "cao", ""),
        ParsedLine(3, "0042", Decimal("7.00"), "cao", ""),
    ]


def test_comma_separated_file_with_dot_decimals_is_read():
    items = parse("employee_number,amount,source,description\n7,12.50,extra,Bonus\n")
    assert items == [ParsedLine(2, "7", Decimal("12.50"), "extra", "Bonus")]


def test_comma_separated_file_with_quoted_decimal_comma_is_read():
    items = parse('personeelsnummer,bedrag\n007,"12,50"\n008,"1.234,56"\n')
    assert [(i.employee_number, i.amount) for i in good(items)] == [
        ("007", Decimal("12.50")),
        ("008", Decimal("1234.56")),
    ]


def test_employee_numbers_keep_leading_zeros_and_lose_whitespace():
    items = parse("personeelsnummer;bedrag\n  000101 ;1\n")
    assert good(items)[0].employee_number == "000101"


def test_header_names_are_case_insensitive_in_any_order():
    items = parse("Bedrag;OMSCHRIJVING;Personeelsnummer;Bron\n5;Kerst;12;Verlof_Bonus\n")
    assert items == [ParsedLine(2, "12", Decimal("5.00"), "verlof_bonus", "Kerst")]


@pytest.mark.parametrize(
    ("given", "source"),
    [
        ("", "cao"),
        ("cao", "cao"),
        ("EXTRA", "extra"),
        ("verlof", "verlof_bonus"),
        ("overheid", "overheid"),
    ],
)
def test_source_defaults_to_cao_and_accepts_known_values(given, source):
    items = parse(f"personeelsnummer;bedrag;bron\n1;5;{given}\n")
    assert good(items)[0].source == source


def test_unknown_source_is_a_line_error():
    [error] = parse("personeelsnummer;bedrag;bron\n1;5;loterij\n")
    assert (error.line_number, error.field, error.code) == (2, "source", "unknown_source")


def test_quoted_fields_with_separators_and_newlines_keep_line_numbers_physical():
    data = 'personeelsnummer;bedrag;omschrijving\n1;5;"Kerst; en ""bonus"""\n2;5;"twee\nregels"\n3;abc;x\n'
    items = parse(data)
    assert good(items)[0].description == 'Kerst; en "bonus"'
    assert good(items)[1].description == "twee\nregels"
    assert good(items)[1].line_number == 3
    # The record after a two-line field starts on physical line 5.
    assert bad(items)[0].line_number == 5


def test_windows_1252_export_from_older_excel_is_read():
    data = "personeelsnummer;bedrag;omschrijving\n1;12,50;Cursus café\n2;€ 5;x\n".encode("cp1252")
    items = parse(data)
    assert [(i.description, i.amount) for i in good(items)] == [
        ("Cursus café", Decimal("12.50")),
        ("x", Decimal("5.00")),
    ]


def test_undecodable_line_is_an_encoding_error_with_its_line_number():
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8.
    items = parse(b"personeelsnummer;bedrag\n1;5\n2;5\x81\n3;5\n")
    assert [i.line_number for i in good(items)] == [2, 4]
    [error] = bad(items)
    assert (error.line_number, error.code) == (3, "encoding")
    assert "CSV UTF-8" in error.message


def test_bad_utf8_after_a_bom_is_an_encoding_error():
    items = parse(b"\xef\xbb\xbfpersoneelsnummer;bedrag\n1;5\n2;caf\xe9\n")
    assert [(e.line_number, e.code) for e in bad(items)] == [(3, "encoding")]


def test_every_amount_error_reports_its_line_number_and_code():
    data = "personeelsnummer;bedrag\n1;0\n2;12,505\n3;twaalf\n4;5\n5;-1\n"
    errors = bad(parse(data))
    assert [(e.line_number, e.field, e.code, e.employee_number) for e in errors] == [
        (2, "amount", "amount_not_positive", "1"),
        (3, "amount", "amount_too_precise", "2"),
        (4, "amount", "amount_not_a_number", "3"),
        (6, "amount", "amount_not_positive", "5"),
    ]
    assert all(e.message for e in errors)


def test_missing_required_column_stops_at_the_header():
    items = parse("personeelsnummer;omschrijving\n1;x\n")
    assert [(e.line_number, e.field, e.code) for e in items] == [(1, "amount", "missing_column")]
    assert "bedrag" in items[0].message


def test_wrong_column_count_is_a_line_error():
    # An unquoted decimal comma in a comma-separated file splits the amount in two.
    items = parse("personeelsnummer,bedrag\n1,12,50\n2,5\n")
    [error] = bad(items)
    assert (error.line_number, error.code) == (2, "missing_column")
    assert [i.line_number for i in good(items)] == [3]


def test_too_few_columns_is_a_line_error():
    [error] = parse("personeelsnummer;bedrag\n1\n")
    assert (error.line_number, error.code) == (2, "missing_column")


def test_missing_employee_number_is_a_line_error():
    [error] = parse("personeelsnummer;bedrag\n;5\n")
    assert (error.line_number, error.field, error.code) == (2, "employee_number", "missing_column")


def test_blank_lines_and_trailing_separator_rows_are_skipped():
    items = parse("personeelsnummer;bedrag\r\n1;5\r\n\r\n;\r\n2;5\r\n;;\r\n")
    assert [i.line_number for i in items] == [2, 5]


def test_old_mac_line_endings_are_reported_not_crashed_on():
    [error] = parse(b"personeelsnummer;bedrag\r1;5\r2;6\r")
    assert (error.line_number, error.code) == (1, "encoding")


def test_empty_file_is_reported():
    [error] = parse(b"")
    assert (error.line_number, error.code) == (1, "missing_column")


def test_file_with_more_lines_than_allowed_gives_one_error_and_stops():
    data = "personeelsnummer;bedrag\n" + "".join(f"{n};5\n" for n in range(10))
    items = parse(data, max_lines=3)
    assert len(good(items)) == 3
    [error] = bad(items)
    assert (error.line_number, error.code) == (None, "file_too_large")
    assert items[-1] is error


def test_file_with_more_bytes_than_allowed_gives_one_error_and_stops():
    data = "personeelsnummer;bedrag\n" + "".join(f"{n};5\n" for n in range(1000))
    items = parse(data, max_bytes=200)
    errors = bad(items)
    assert [e.code for e in errors] == ["file_too_large"]
    assert len(good(items)) < 1000


def test_a_file_without_newlines_is_not_read_whole():
    stream = io.BytesIO(b"personeelsnummer;bedrag;" + b"x" * 10_000_000)
    items = list(parse_deposit_csv(stream, max_bytes=1000, max_lines=10))
    assert [e.code for e in items] == ["file_too_large"]
    assert stream.tell() <= 1001


@pytest.mark.parametrize("value", ["=1+1", "+31 6", "-2", "@SUM(A1)", "\tx"])
def test_formula_like_cells_are_escaped_for_spreadsheets(value):
    assert escape_formula(value) == "'" + value


def test_plain_cells_are_not_escaped():
    assert escape_formula("000101") == "000101"
