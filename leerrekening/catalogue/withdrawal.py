"""Releasing the reservations of a withdrawn approval, in chunks, exactly once.

A withdrawal (catalogue.services) stops new bookings at once; this module gives back every open
reservation of the bookings made before it: one void per booking, under the booking's own key
(booking:<id>:void, the same as a cancellation), so a retried chunk, a duplicate task or a worker
cancelling at the same moment never releases anything twice. Paid bookings (the reservation was
posted to the provider) are left to settlement. The job is done when no such booking is left;
a beat sweeper sends again a job nobody worked on for a while (a crash, a lost message).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from leerportaal.enqueue import send_task
from leerrekening.bookings.services import booking_withdrawal_release
from leerrekening.models import ApprovalWithdrawal, Booking, Reservation


def withdrawal_bookings(withdrawal: ApprovalWithdrawal) -> QuerySet[Booking]:
    """The bookings this withdrawal still has to release: not cancelled, not paid, made before
    the withdrawal, of its course (or of any course of its provider)."""
    bookings = Booking.objects.filter(created_at__lte=withdrawal.withdrawn_at).filter(
        Q(status__in=[Booking.Status.REQUESTED, Booking.Status.RESERVED])
        | Q(
            Q(reservation__isnull=True) | Q(reservation__status=Reservation.Status.OPEN),
            status=Booking.Status.FROZEN,
        )
    )
    if withdrawal.course_id is not None:
        return bookings.filter(course_id=withdrawal.course_id)
    return bookings.filter(course__provider_id=withdrawal.provider_id)


def withdrawal_release_chunk(*, withdrawal_id: int, size: int | None = None) -> bool:
    """Release up to `size` bookings (each in its own transaction); True when the job is done."""
    size = size or settings.APPROVAL_WITHDRAWAL_CHUNK_SIZE
    withdrawal = ApprovalWithdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.released_at is not None:
        return True
    ids = list(withdrawal_bookings(withdrawal).order_by("pk").values_list("pk", flat=True)[:size])
    released = sum(booking_withdrawal_release(booking_id=booking_id) for booking_id in ids)
    done = len(ids) < size and not withdrawal_bookings(withdrawal).exists()
    now = timezone.now()
    ApprovalWithdrawal.objects.filter(pk=withdrawal.pk).update(
        released_count=F("released_count") + released,
        updated_at=now,
        **({"released_at": now} if done else {}),
    )
    return done


def withdrawals_sweep(*, stale_after: datetime.timedelta) -> int:
    """Send again every unfinished withdrawal nobody touched for `stale_after`."""
    from leerrekening.tasks import approval_withdrawal_release

    stale = ApprovalWithdrawal.objects.filter(
        released_at__isnull=True, updated_at__lt=timezone.now() - stale_after
    ).values_list("pk", flat=True)
    return sum(send_task(approval_withdrawal_release, pk) for pk in stale)
