"""Coordinators' pages (/beheer/): approving, rejecting and withdrawing providers and courses,
settling frozen bookings."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import coordinator_required
from leerportaal.errors import message_error
from leerrekening.bookings import selectors as booking_selectors
from leerrekening.bookings import services as booking_services
from leerrekening.catalogue import selectors as catalogue_selectors
from leerrekening.catalogue import services as catalogue_services
from leerrekening.models import Course, Provider

# --- Coordinators ---------------------------------------------------------------------------------


@coordinator_required
@never_cache
def coordinator_catalogue(request):
    """The approval queue: pending providers (with their proof) and courses to approve or reject;
    approved ones to withdraw."""
    return render(
        request, "leerrekening/coordinator_catalogue.html", catalogue_selectors.approval_queue()
    )


def _decide(request, decide, done: str):
    """Run one decision service; its refusal (an ApprovalError) becomes a message."""
    try:
        decide()
    except catalogue_services.ApprovalError as exc:
        message_error(request, exc)
    else:
        messages.success(request, done)
    return redirect("leerrekening:coordinator-catalogue")


def _reason(request) -> str:
    return request.POST.get("reason", "")


@coordinator_required
@require_POST
def coordinator_provider_approve(request, pk):
    provider = get_object_or_404(Provider, pk=pk)
    return _decide(
        request,
        lambda: catalogue_services.provider_approve(provider=provider, by=request.user),
        _("%(name)s is goedgekeurd.") % {"name": provider.name},
    )


@coordinator_required
@require_POST
def coordinator_provider_reject(request, pk):
    provider = get_object_or_404(Provider, pk=pk)
    return _decide(
        request,
        lambda: catalogue_services.provider_reject(
            provider=provider, by=request.user, reason=_reason(request)
        ),
        _("%(name)s is afgewezen.") % {"name": provider.name},
    )


@coordinator_required
@require_POST
def coordinator_provider_withdraw(request, pk):
    provider = get_object_or_404(Provider, pk=pk)
    return _decide(
        request,
        lambda: catalogue_services.provider_approval_withdraw(
            provider=provider, by=request.user, reason=_reason(request)
        ),
        _("De goedkeuring van %(name)s is ingetrokken. Open reserveringen gaan terug.")
        % {"name": provider.name},
    )


@coordinator_required
@require_POST
def coordinator_course_approve(request, pk):
    course = get_object_or_404(Course, pk=pk)
    return _decide(
        request,
        lambda: catalogue_services.course_approve(course=course, by=request.user),
        _("%(title)s is goedgekeurd.") % {"title": course.title},
    )


@coordinator_required
@require_POST
def coordinator_course_reject(request, pk):
    course = get_object_or_404(Course, pk=pk)
    return _decide(
        request,
        lambda: catalogue_services.course_reject(
            course=course, by=request.user, reason=_reason(request)
        ),
        _("%(title)s is afgewezen.") % {"title": course.title},
    )


@coordinator_required
@require_POST
def coordinator_course_withdraw(request, pk):
    course = get_object_or_404(Course, pk=pk)
    return _decide(
        request,
        lambda: catalogue_services.course_approval_withdraw(
            course=course, by=request.user, reason=_reason(request)
        ),
        _("De goedkeuring van %(title)s is ingetrokken. Open reserveringen gaan terug.")
        % {"title": course.title},
    )


@coordinator_required
@never_cache
def coordinator_bookings(request):
    return render(
        request,
        "leerrekening/coordinator_bookings.html",
        {
            "frozen": booking_selectors.frozen_bookings(),
            "anomalies": booking_selectors.booking_anomalies(),
        },
    )


@coordinator_required
@require_POST
def coordinator_booking_release(request, pk):
    booking = get_object_or_404(booking_selectors.frozen_bookings(), pk=pk)
    try:
        booking_services.frozen_booking_release(booking=booking, by=request.user)
    except booking_services.BookingNotCancellable as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Het geld staat weer op de leerrekening van de werkende."))
    return redirect("leerrekening:coordinator-bookings")


@coordinator_required
@require_POST
def coordinator_booking_restore(request, pk):
    booking = get_object_or_404(booking_selectors.frozen_bookings(), pk=pk)
    booking_services.frozen_booking_restore(booking=booking, by=request.user)
    messages.success(request, _("De boeking loopt weer zoals eerst."))
    return redirect("leerrekening:coordinator-bookings")
