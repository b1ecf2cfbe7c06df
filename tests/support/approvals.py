"""Approval decisions in tests: releasing a withdrawal to the end, and counting its voids."""

from __future__ import annotations

from leerrekening.catalogue.withdrawal import withdrawal_release_chunk
from leerrekening.models import ApprovalWithdrawal, Booking, Transfer


def release_all(withdrawal: ApprovalWithdrawal, *, size: int = 200) -> int:
    """Run the withdrawal's chunks as the task would until it is done; the number of runs."""
    runs = 1
    while not withdrawal_release_chunk(withdrawal_id=withdrawal.pk, size=size):
        runs += 1
    return runs


def voids_of(booking: Booking) -> int:
    """How many times the booking's reservation was released (its void key is used once)."""
    return Transfer.objects.filter(idempotency_key=f"booking:{booking.pk}:void").count()
