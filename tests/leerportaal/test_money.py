"""leerportaal.money.euro: the one euro formatter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from leerportaal.money import euro


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234.5"), "€ 1.234,50"),
        (Decimal("450"), "€ 450,00"),
        (Decimal("0.00"), "€ 0,00"),
        (Decimal("1000000"), "€ 1.000.000,00"),
        (Decimal("-5.25"), "€ -5,25"),
        ("12.345", "€ 12,35"),
        (7, "€ 7,00"),
    ],
)
def test_euro_is_dutch_whatever_the_language(amount, text):
    with translation.override("en"):
        assert euro(amount) == text


def test_euro_localized_follows_the_language():
    with translation.override("nl"):
        assert euro(Decimal("1234.5"), localize=True) == "€ 1.234,50"
    with translation.override("en"):
        assert euro(Decimal("1234.5"), localize=True) == "€ 1,234.50"
