"""The worker's pages: the learning account (/mijn-leerrekening/), the catalogue and booking
(/opleidingen/), my bookings and my data.

Views are thin: fetch through a selector scoped to the signed-in person (someone else's booking
is a 404, not a 403), call one service, show its domain error's message, render.
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import worker_required
from leerportaal.errors import form_error, message_error
from leerportaal.excel_csv import excel_csv_response
from leerportaal.money import euro
from leerrekening import selectors, selectors_portal
from leerrekening.bookings import selectors as booking_selectors
from leerrekening.bookings import services as booking_services
from leerrekening.bookings.confirmation import (
    ConfirmationLocked,
    TooManyCodesSent,
    fresh_confirmation_check,
    one_time_code_send,
)
from leerrekening.catalogue import selectors as catalogue_selectors
from leerrekening.forms import BookingForm, CatalogueSearchForm, FreezeForm
from leerrekening.models import Booking

EXPIRY_WARNING_DAYS = 90
BOOKING_CAUSE = re.compile(r"^booking:(\d+)$")


def _history_rows(page):
    """History entries with the booking they belong to, for the "dit was ik niet" link."""
    rows = []
    for entry in page.entries:
        match = BOOKING_CAUSE.match(entry.cause or "")
        rows.append({"entry": entry, "booking_id": int(match.group(1)) if match else None})
    return rows


def _before_param(request) -> int | None:
    value = request.GET.get("voor", "")
    return int(value) if value.isdigit() else None


# --- Worker: dashboard, history, notifications ----------------------------------------------------


@worker_required
@never_cache
def dashboard(request):
    worker = request.user
    funders = selectors_portal.funder_shares(worker=worker, warn_days=EXPIRY_WARNING_DAYS)
    history = selectors.worker_history(worker=worker, limit=10)
    points = selectors_portal.balance_over_time(worker=worker)
    return render(
        request,
        "leerrekening/dashboard.html",
        {
            "summary": selectors.account_summary(worker=worker),
            "funders": funders,
            "history": _history_rows(history),
            "history_more": history.next_before,
            "chart": selectors_portal.balance_chart(points=points),
            "notifications": list(selectors_portal.notifications_of(user=worker)[:5]),
            "employments": selectors.employments_of(worker=worker),
        },
    )


@worker_required
@never_cache
def history(request):
    page = selectors.worker_history(worker=request.user, before=_before_param(request), limit=25)
    return render(
        request,
        "leerrekening/history.html",
        {"rows": _history_rows(page), "next_before": page.next_before},
    )


@worker_required
@never_cache
def notification_list(request):
    paginator = Paginator(selectors_portal.notifications_of(user=request.user), 25)
    page = paginator.get_page(request.GET.get("pagina"))
    # Seen on this page: marked read (the dashboard shows what is unread).
    selectors_portal.notifications_of(user=request.user).filter(
        pk__in=[n.pk for n in page], read_at__isnull=True
    ).update(read_at=timezone.now())
    return render(request, "leerrekening/notification_list.html", {"page": page})


# --- Worker: catalogue and booking ----------------------------------------------------------------


@worker_required
def catalogue(request):
    form = CatalogueSearchForm(request.GET or None)
    filters = catalogue_selectors.CatalogueFilters()
    if form.is_valid():
        filters = catalogue_selectors.CatalogueFilters(**form.cleaned_data)
    courses, fuzzy = catalogue_selectors.catalogue_search(filters=filters)
    paginator = Paginator(courses, 20)
    page = paginator.get_page(request.GET.get("pagina"))
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(
        request,
        "leerrekening/catalogue.html",
        {
            "form": form,
            "page": page,
            "fuzzy": fuzzy,
            "searched": bool(filters.q),
            "query": query.urlencode(),
        },
    )


@worker_required
def course_detail(request, pk):
    course = get_object_or_404(catalogue_selectors.bookable_courses(), pk=pk)
    seats_left = max(course.capacity - booking_selectors.course_seats_taken(course=course), 0)
    summary = selectors.account_summary(worker=request.user)
    return render(
        request,
        "leerrekening/course_detail.html",
        {
            "course": course,
            "seats_left": seats_left,
            "summary": summary,
            "short": max(course.price - summary.available, 0),
        },
    )


@worker_required
@never_cache
def booking_create(request, pk):
    page = catalogue_selectors.booking_page(pk=pk, worker=request.user)
    if page is None:
        raise Http404
    course, summary = page
    needs_own = summary.available < course.price
    form = BookingForm(request.POST or None, needs_own_contribution=needs_own)
    if request.GET.get("methode") == BookingForm.CONFIRM_CODE and not form.is_bound:
        form.initial["confirm_with"] = BookingForm.CONFIRM_CODE
    context = {
        "course": course,
        "summary": summary,
        "form": form,
        "short": max(course.price - summary.available, 0),
    }
    if request.method != "POST" or not form.is_valid():
        return render(request, "leerrekening/booking_create.html", context)
    data = form.cleaned_data
    by_code = data["confirm_with"] == BookingForm.CONFIRM_CODE
    # The password is checked here; the e-mailed code inside the booking's own transaction. A
    # wrong one is counted; booking_create refuses while confirmation is locked.
    try:
        if not by_code and not fresh_confirmation_check(
            user=request.user, password=data["password"], lock_checked_later=True
        ):
            form.add_error("password", _("Je wachtwoord klopt niet."))
            return render(request, "leerrekening/booking_create.html", context, status=400)
        booking = booking_services.booking_create(
            worker=request.user,
            course=course,
            work_related=data["work_related"],
            pays_rest_self=bool(data.get("pays_rest_self")),
            request_token=data["request_token"],
            code=data["code"] if by_code else None,
        )
    except ConfirmationLocked as exc:
        form_error(form, exc)
        return render(request, "leerrekening/booking_create.html", context, status=429)
    except booking_services.ConfirmationFailed as exc:
        form_error(form, exc, field="code")
        return render(request, "leerrekening/booking_create.html", context, status=400)
    except (booking_services.BookingError, booking_services.InsufficientBudget) as exc:
        form_error(form, exc)
        return render(request, "leerrekening/booking_create.html", context, status=400)
    messages.success(
        request,
        _("Je hebt %(course)s geboekt. We hebben %(amount)s van je leerrekening gereserveerd.")
        % {"course": course.title, "amount": euro(booking.budget_amount, localize=True)},
    )
    return redirect("leerrekening:booking-detail", pk=booking.pk)


@worker_required
@require_POST
def booking_code_send(request, pk):
    course = get_object_or_404(catalogue_selectors.bookable_courses(), pk=pk)
    try:
        one_time_code_send(user=request.user)
    except TooManyCodesSent as exc:
        message_error(request, exc)
        return redirect(reverse("leerrekening:booking-create", args=[course.pk]) + "?methode=code")
    messages.info(
        request,
        _("We hebben een code gestuurd naar %(email)s. De code werkt 10 minuten.")
        % {"email": request.user.email},
    )
    return redirect(reverse("leerrekening:booking-create", args=[course.pk]) + "?methode=code")


# --- Worker: my bookings --------------------------------------------------------------------------


@worker_required
@never_cache
def booking_list(request):
    paginator = Paginator(booking_selectors.bookings_of(worker=request.user), 20)
    page = paginator.get_page(request.GET.get("pagina"))
    return render(
        request,
        "leerrekening/booking_list.html",
        {"page": page, "today": timezone.localdate()},
    )


@worker_required
@never_cache
def booking_detail(request, pk):
    booking = get_object_or_404(booking_selectors.bookings_of(worker=request.user), pk=pk)
    return render(
        request,
        "leerrekening/booking_detail.html",
        {
            "booking": booking,
            "can_cancel": booking.status == Booking.Status.RESERVED
            and timezone.localdate() < booking.course.start_date,
        },
    )


@worker_required
@require_POST
def booking_cancel(request, pk):
    booking = get_object_or_404(booking_selectors.bookings_of(worker=request.user), pk=pk)
    try:
        booking = booking_services.booking_cancel(booking=booking, by=request.user)
    except booking_services.BookingNotCancellable as exc:
        message_error(request, exc)
        return redirect("leerrekening:booking-detail", pk=booking.pk)
    messages.success(
        request,
        _("Je boeking is geannuleerd. %(amount)s staat weer op je leerrekening.")
        % {"amount": euro(booking.budget_amount, localize=True)},
    )
    return redirect("leerrekening:booking-list")


@worker_required
@never_cache
def booking_freeze(request, pk):
    booking = get_object_or_404(booking_selectors.bookings_of(worker=request.user), pk=pk)
    form = FreezeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        booking_services.booking_freeze(
            booking=booking, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _(
                "We hebben deze boeking geblokkeerd. Er gaat geen geld meer naar de opleider. "
                "Iemand van Leerportaal neemt contact met je op."
            ),
        )
        return redirect("leerrekening:booking-detail", pk=booking.pk)
    return render(request, "leerrekening/booking_freeze.html", {"booking": booking, "form": form})


# --- Worker: my data and who sees what ------------------------------------------------------------


@worker_required
def my_data(request):
    return render(request, "leerrekening/my_data.html")


@worker_required
@never_cache
def my_data_export(request, fmt):
    data = selectors_portal.my_data(worker=request.user)
    stamp = timezone.localdate().isoformat()
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="mijn-gegevens-{stamp}.json"'
        return response
    rows = [["onderdeel", "nummer", "veld", "waarde"], *selectors_portal.my_data_rows(data=data)]
    # Formulae escaped there: a cell starting with = + - @ would run in a spreadsheet.
    return excel_csv_response(f"mijn-gegevens-{stamp}.csv", rows, stream=False)


def who_sees_what(request):
    return render(request, "leerrekening/who_sees_what.html")
