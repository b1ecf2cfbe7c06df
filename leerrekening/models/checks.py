"""What the last runs of the ledger invariants found (the hourly beat task and the command)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerCheckRun(models.Model):
    ran_at = models.DateTimeField(_("gecontroleerd op"), auto_now_add=True, db_index=True)
    ok = models.BooleanField(_("alles klopt"))
    checked = models.PositiveIntegerField(_("aantal controles"))
    # The names of the broken invariants only: their details (which rows) stay in the log.
    broken = models.JSONField(_("niet in orde"), default=list, blank=True)

    class Meta:
        verbose_name = _("controle van de boekhouding")
        verbose_name_plural = _("controles van de boekhouding")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'BROKEN'}"
