"""The one euro formatter: `euro(Decimal("1234.5"))` -> "€ 1.234,50".

Dutch by default (a point between thousands, a comma before the cents), whatever language is
active: notifications and e-mails are stored in Dutch. `localize=True` follows the active
language instead (Dutch "€ 1.234,50", English "€ 1,234.50"), for messages shown on a page.
Templates use `floatformat:"2g"`, which gives the same as `localize=True`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

CENT = Decimal("0.01")


def euro(amount, *, localize: bool = False) -> str:
    """`amount` (Decimal, int or str) with two decimals and grouped thousands, after "€ "."""
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    if localize:
        return f"€ {number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)}"
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    return f"€ {sign}{int(whole):,}".replace(",", ".") + f",{cents}"
