"""One mechanism for the batches Celery applies chunk by chunk: deposit batches and takeovers.

A batch is stored first (its lines with it), then handed to Celery after commit; a chunk's work,
its mark and the batch's progress commit in one transaction, so a re-run or a redelivery after a
crash does nothing twice. What differs per kind is only how one chunk is applied; the rest is here:

- `enqueue` / `enqueue_on_commit`: send the kind's task (leerportaal.enqueue: never raises, logs
  the task's name and id only, never its arguments). A broker outage leaves the batch pending;
- `sweep`: send again every pending batch nobody touched for a while (confirmed while Redis was
  down, or its worker died and its message was lost). A second delivery is harmless;
- `run`: apply chunk after chunk until the batch is done, stopped, or held by other workers;
- `write_report`: the batch's result as `;`-CSV for Excel (leerportaal.excel_csv).

The model of a kind has `PENDING` (the statuses still to be applied) and `touched_at` (the last
progress, which the sweep reads).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from leerportaal.enqueue import send_task
from leerportaal.excel_csv import write_excel_csv

# States a chunk step returns: "more" (a chunk was applied), "none" (every chunk is applied; the
# batch is still to be marked done), "done", "stopped", "busy" (the chunks left are held by other
# workers), "idle" (nothing to do: unknown or not pending).
MORE = "more"
NONE_LEFT = "none"


@dataclass
class RunOutcome:
    chunks: int = 0
    lines: int = 0
    status: str = ""
    busy: bool = False


class ChunkedBatches:
    """The queue of one kind of batch (`model`) and the Celery task (dotted path) that applies it.

    Callers and tests reach the task through `enqueue` only: replacing it on the instance (a test
    recording what would be sent) covers the on-commit send and the sweep too.
    """

    def __init__(self, *, model: type[models.Model], task: str) -> None:
        self.model = model
        self.task_path = task

    def enqueue(self, batch_id: int, *args) -> bool:
        """Send the apply task; False (logged) when the broker cannot be reached. Never raises:
        the batch is stored as pending and the sweeper sends it again later."""
        return send_task(import_string(self.task_path), batch_id, *args)

    def enqueue_on_commit(self, batch_id: int) -> None:
        """Send the apply task once the current transaction commits (never if it rolls back)."""
        transaction.on_commit(lambda: self.enqueue(batch_id))

    def sweep(self, *, stale_after: datetime.timedelta) -> list[int]:
        """Send again every pending batch nobody touched for `stale_after`; the ids sent."""
        cutoff = timezone.now() - stale_after
        ids = list(
            self.model.objects.filter(status__in=self.model.PENDING, touched_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        sent = [batch_id for batch_id in ids if self.enqueue(batch_id)]
        # Conditional: a worker that made progress meanwhile has touched the batch itself.
        self.model.objects.filter(pk__in=sent, touched_at__lt=cutoff).update(
            touched_at=timezone.now()
        )
        return sent

    @staticmethod
    def run(
        batch_id: int,
        *,
        apply_next_chunk: Callable[[int], tuple[str, int]],
        finish: Callable[[int], str] | None = None,
    ) -> RunOutcome:
        """Apply chunk after chunk: `apply_next_chunk(batch_id)` returns (state, lines applied
        now). When it says "none" (every chunk applied), `finish(batch_id)` marks the batch done
        and says how it ended."""
        outcome = RunOutcome()
        while True:
            state, count = apply_next_chunk(batch_id)
            if state == MORE:
                outcome.chunks += 1
                outcome.lines += count
                continue
            if state == NONE_LEFT and finish is not None:
                state = finish(batch_id)
            outcome.status = state
            outcome.busy = state == "busy"
            return outcome

    @staticmethod
    def write_report(rows: Iterable[Iterable[object]], out: TextIO) -> None:
        """The batch's report rows (header first) as `;`-CSV for Excel, streamed."""
        write_excel_csv(rows, out)
