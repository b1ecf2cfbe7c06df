"""Provider staff's pages (/opleider/): their courses, the bookings of them, declaring a start."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import provider_staff_required
from leerportaal.errors import message_error
from leerportaal.money import euro
from leerrekening.bookings import selectors as booking_selectors
from leerrekening.bookings import services as booking_services

# --- Provider staff -------------------------------------------------------------------------------


@provider_staff_required
@never_cache
def provider_start(request):
    return render(
        request,
        "leerrekening/provider_start.html",
        {
            "payables": booking_selectors.provider_payable_balance(user=request.user),
            "courses": booking_selectors.provider_courses_of(user=request.user),
        },
    )


@provider_staff_required
@never_cache
def provider_course(request, pk):
    course = get_object_or_404(booking_selectors.provider_courses_of(user=request.user), pk=pk)
    bookings = booking_selectors.provider_bookings_of(user=request.user).filter(course=course)
    earliest = booking_services.start_declarable_from(course=course)
    return render(
        request,
        "leerrekening/provider_course.html",
        {
            "course": course,
            "bookings": bookings,
            "earliest": earliest,
            "can_declare": timezone.localdate() >= earliest,
        },
    )


@provider_staff_required
@require_POST
def provider_declare_start(request, pk):
    booking = get_object_or_404(booking_selectors.provider_bookings_of(user=request.user), pk=pk)
    try:
        booking_services.booking_declare_start(booking=booking, by=request.user)
    except (
        booking_services.BookingNotStartable
    ) as exc:  # StartTooEarly too: its message has the date
        message_error(request, exc)
    else:
        messages.success(
            request,
            _("De start is gemeld. %(amount)s wordt aan jullie betaald.")
            % {"amount": euro(booking.budget_amount, localize=True)},
        )
    return redirect("leerrekening:provider-course", pk=booking.course_id)
