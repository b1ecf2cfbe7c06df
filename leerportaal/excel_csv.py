"""Reading and writing CSV the way Dutch spreadsheets do, one line at a time.

Excel in a Dutch locale writes `;` between fields (the comma is the decimal sign), often starts with
a byte order mark, ends lines with CRLF and, in older versions, encodes in Windows-1252 instead of
UTF-8. Files from other tools use `,`. The reader accepts all of these and never holds more than one
line in memory, so a 100,000-line upload costs as much memory as a 10-line one.

Line numbers are physical line numbers in the file (the header is line 1), so they match what the
user sees when they open the file in a text editor; a quoted field that spans lines is reported at
the line where its record starts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

UTF8_BOM = b"\xef\xbb\xbf"
DELIMITERS = (";", ",", "\t")
# Cells a spreadsheet would run as a formula (CSV injection); tab and CR start one in some versions.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEGATIVE_AMOUNT = re.compile(r"-[0-9]+[.,][0-9]+")


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One record: its first physical line number and its fields (None if it could not be read)."""

    line_number: int
    fields: list[str] | None
    decodable: bool = True


class ExcelCsvReader:
    """Streams records from a CSV upload; the header is read on construction.

    After iteration, `too_large` is "bytes" or "lines" when a limit stopped the reading early. The
    records before that point have been yielded; callers treat the file as refused anyway.
    """

    def __init__(self, stream: BinaryIO, *, max_bytes: int, max_lines: int) -> None:
        self._stream = stream
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        self.bytes_read = 0
        self.physical_line = 0
        self.encoding = "utf-8"
        self.has_bom = False
        self.too_large: str | None = None
        # Set when the header cannot be read as CSV at all (e.g. old Mac files with CR-only lines).
        self.unreadable = False
        self._undecodable: set[int] = set()
        self.header: list[str] | None = None
        self.delimiter = ";"
        self._read_header()

    # --- bytes to text ----------------------------------------------------------------------------

    def _raw_lines(self) -> Iterator[bytes]:
        while True:
            # readline with a limit: a file without newlines cannot make us read it whole.
            raw = self._stream.readline(self.max_bytes - self.bytes_read + 1)
            if not raw:
                return
            self.bytes_read += len(raw)
            if self.bytes_read > self.max_bytes:
                self.too_large = "bytes"
                return
            self.physical_line += 1
            yield raw

    def _decode(self, raw: bytes) -> str:
        if self.encoding == "utf-8":
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                if self.has_bom:
                    # A BOM promises UTF-8; a line that is not is damaged, not Windows-1252.
                    self._undecodable.add(self.physical_line)
                    return raw.decode("utf-8", "replace")
                # Older Excel "CSV (gescheiden door lijstscheidingsteken)" writes Windows-1252.
                self.encoding = "cp1252"
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            self._undecodable.add(self.physical_line)
            return raw.decode("cp1252", "replace")

    def _text_lines(self, raw_lines: Iterator[bytes]) -> Iterator[str]:
        for raw in raw_lines:
            yield self._decode(raw)

    def _read_header(self) -> None:
        self._raw = self._raw_lines()
        first = next(self._raw, None)
        if first is None:
            return
        if first.startswith(UTF8_BOM):
            self.has_bom = True
            first = first[len(UTF8_BOM) :]
        text = self._decode(first).lstrip("\ufeff")
        if not text.strip():
            return
        counts = {d: text.count(d) for d in DELIMITERS}
        best = max(DELIMITERS, key=lambda d: counts[d])
        self.delimiter = best if counts[best] else ";"
        if "\r" in text.rstrip("\r\n"):
            # CR-only line endings ("CSV (Macintosh)"): the whole file arrived as one line.
            self.unreadable = True
            return
        try:
            self.header = next(csv.reader([text], delimiter=self.delimiter), [])
        except csv.Error:
            self.unreadable = True

    # --- records ----------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[CsvRecord]:
        if self.header is None:
            return
        reader = csv.reader(self._text_lines(self._raw), delimiter=self.delimiter, strict=False)
        records = 0
        while True:
            start = self.physical_line + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error:
                # A NUL byte or an endless quoted field: report the line, read on.
                yield CsvRecord(start, None, decodable=False)
                continue
            if self.too_large:
                return
            if not any(f.strip() for f in fields):
                continue  # blank lines and Excel's trailing ";;;" rows carry nothing
            records += 1
            if records > self.max_lines:
                self.too_large = "lines"
                return
            decodable = not self._undecodable or not any(
                n in self._undecodable for n in range(start, self.physical_line + 1)
            )
            yield CsvRecord(start, fields, decodable)


def escape_formula(value: str) -> str:
    """Prefix an apostrophe so a spreadsheet shows the cell as text instead of running it.

    The one rule for every CSV this project writes: a cell starting with = + - @ tab or CR is
    escaped, except a negative amount with decimals ("-10.00", "-10,00"), which stays a number
    the spreadsheet can add up. A bare "-2" is escaped: only an amount is known to be data."""
    if value and value.startswith(FORMULA_PREFIXES) and not NEGATIVE_AMOUNT.fullmatch(value):
        return "'" + value
    return value


def excel_csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """`;`-separated CSV text as Dutch Excel opens it (BOM first, CRLF, every cell escaped), one
    row at a time: memory does not grow with the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow(["" if cell is None else escape_formula(str(cell)) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def write_excel_csv(rows: Iterable[Iterable[object]], out: TextIO) -> None:
    """Write `rows` to `out` as excel_csv_lines does."""
    for text in excel_csv_lines(rows):
        out.write(text)


def excel_csv_response(filename: str, rows: Iterable[Iterable[object]], *, stream: bool = True):
    """A download of `rows` as Excel CSV: streamed row by row (memory stays flat), or, with
    stream=False, in one piece (small exports that a page reads as `.content`)."""
    from django.http import HttpResponse, StreamingHttpResponse

    content_type = "text/csv; charset=utf-8"
    if stream:
        response = StreamingHttpResponse(excel_csv_lines(rows), content_type=content_type)
    else:
        response = HttpResponse("".join(excel_csv_lines(rows)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
