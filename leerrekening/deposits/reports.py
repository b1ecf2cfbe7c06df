"""Deposit batch reports: the result of a batch as `;`-CSV for Excel, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import TextIO

from django.db import connection
from django.utils.translation import gettext as _

from leerrekening.chunked_batches import ChunkedBatches
from leerrekening.models import DepositBatch, DepositBatchLine, Tranche

Status = DepositBatch.Status

REPORT_CHUNK = 5_000


def _line_status(batch: DepositBatch, transfer_id: int | None) -> str:
    if transfer_id is not None:
        return _("gestort")
    if batch.status in (Status.REJECTED, Status.CANCELLED):
        return _("niet gestort")
    return _("nog niet gestort")


def write_batch_report(*, batch: DepositBatch, out: TextIO) -> None:
    """The result of a batch as `;`-CSV for Excel (batch_report_rows). Streams: memory does not
    grow with the batch."""
    ChunkedBatches.write_report(batch_report_rows(batch=batch), out)


def batch_report_rows(*, batch: DepositBatch) -> Iterator[list]:
    """One row per line (status, transfer), or, for a rejected batch, one row per error."""
    if batch.status == Status.REJECTED:
        header = [_("regel"), _("personeelsnummer"), _("veld"), _("reden")]
        rows = (
            [
                e["line"] if e["line"] is not None else "",
                e["employee_number"],
                e["field"],
                e["message"],
            ]
            for e in batch.errors
        )
        return chain([header], rows)
    return _line_rows(batch)


def _line_rows(batch: DepositBatch) -> Iterator[list]:
    yield [
        _("regel"),
        _("personeelsnummer"),
        _("naam"),
        _("bedrag"),
        _("bron"),
        _("einddatum"),
        _("status"),
        _("boeking"),
    ]
    sources = dict(Tranche.Source.choices)
    last = 0
    while True:
        chunk = list(
            DepositBatchLine.objects.filter(batch=batch, line_number__gt=last)
            .order_by("line_number")
            .values_list(
                "line_number",
                "employee_number",
                # The roster's name the employer gave, never the account's own.
                "employment__full_name",
                "amount",
                "source",
                "worker_id",
            )[:REPORT_CHUNK]
        )
        if not chunk:
            return
        keys = {batch.line_key(line_number=row[0], worker_id=row[5]): row[0] for row in chunk}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT idempotency_key, id FROM leerrekening_transfer WHERE idempotency_key = ANY(%s)",
                [list(keys)],
            )
            transfers = {keys[key]: transfer_id for key, transfer_id in cursor.fetchall()}
        for line_number, number, name, amount, source, _worker in chunk:
            name = name or ""
            transfer_id = transfers.get(line_number)
            yield [
                line_number,
                number,
                name,
                f"{amount:.2f}".replace(".", ","),
                str(sources.get(source, source)),
                batch.ends_on.strftime("%d-%m-%Y") if batch.ends_on else "",
                _line_status(batch, transfer_id),
                transfer_id or "",
            ]
        last = chunk[-1][0]
