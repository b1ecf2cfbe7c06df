"""Pages of the learning account: the worker (/mijn-leerrekening/, /opleidingen/), provider staff
(/opleider/) and coordinators (/beheer/).

Views are thin: fetch through a selector scoped to the signed-in person (someone else's booking
is a 404, not a 403), call one service, map its domain errors to a plain Dutch message, render.
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
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import coordinator_required, provider_staff_required, worker_required
from leerportaal.excel_csv import excel_csv_response
from leerrekening import selectors, selectors_portal
from leerrekening.forms import BookingForm, CatalogueSearchForm, FreezeForm
from leerrekening.models import Booking, Course, Provider
from leerrekening.services import bookings as booking_services
from leerrekening.services import catalogue as catalogue_services
from leerrekening.services.confirmation import (
    ConfirmationLocked,
    TooManyCodesSent,
    fresh_confirmation_check,
    one_time_code_send,
)

EXPIRY_WARNING_DAYS = 90
BOOKING_CAUSE = re.compile(r"^booking:(\d+)$")


def euro(amount) -> str:
    return f"€ {number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)}"


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
    filters = selectors_portal.CatalogueFilters()
    if form.is_valid():
        filters = selectors_portal.CatalogueFilters(**form.cleaned_data)
    courses, fuzzy = selectors_portal.catalogue_search(filters=filters)
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
    course = get_object_or_404(selectors_portal.bookable_courses(), pk=pk)
    seats_left = max(course.capacity - selectors_portal.course_seats_taken(course=course), 0)
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


BOOKING_ERRORS = {
    booking_services.CourseNotBookable: gettext_lazy(
        "Deze opleiding kun je niet (meer) boeken. Kies een andere opleiding."
    ),
    booking_services.CourseFull: gettext_lazy(
        "Deze opleiding is vol. Kies een andere datum of opleiding."
    ),
    booking_services.CourseBookingCapReached: gettext_lazy(
        "Deze opleiding is deze week heel vaak geboekt. Probeer het over een paar dagen opnieuw."
    ),
    booking_services.AlreadyBooked: gettext_lazy("Je hebt deze opleiding al geboekt."),
    booking_services.NotWorkRelated: gettext_lazy(
        "Je leerrekening betaalt alleen opleidingen voor je werk of loopbaan."
    ),
    booking_services.RequestTokenReused: gettext_lazy("Er ging iets mis. Probeer het opnieuw."),
    booking_services.AccountFrozen: gettext_lazy(
        "Je account is bevroren. Er kan niets geboekt worden tot beheer het opheft."
    ),
}


def _locked_message(locked_until) -> str:
    return _(
        "Je hebt te vaak een verkeerd wachtwoord of een verkeerde code ingevuld. Daarom kun je "
        "even niet bevestigen. Probeer het opnieuw na %(time)s uur."
    ) % {"time": timezone.localtime(locked_until).strftime("%H:%M")}


@worker_required
@never_cache
def booking_create(request, pk):
    page = selectors_portal.booking_page(pk=pk, worker=request.user)
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
        form.add_error(None, _locked_message(exc.locked_until))
        return render(request, "leerrekening/booking_create.html", context, status=429)
    except booking_services.ConfirmationFailed:
        form.add_error("code", _("Deze code klopt niet of is verlopen. Vraag een nieuwe code aan."))
        return render(request, "leerrekening/booking_create.html", context, status=400)
    except booking_services.InsufficientBudget as exc:
        form.add_error(
            None,
            _(
                "Je hebt niet genoeg tegoed. Je hebt nog %(available)s, de opleiding kost %(price)s. "
                "Je kunt boeken als je de rest zelf betaalt."
            )
            % {"available": euro(exc.available), "price": euro(exc.requested)},
        )
        return render(request, "leerrekening/booking_create.html", context, status=400)
    except booking_services.TooManyPendingBookings as exc:
        form.add_error(
            None,
            _(
                "Je hebt al %(limit)s boekingen die nog niet zijn begonnen. "
                "Wacht tot er een begint, of annuleer er een."
            )
            % {"limit": exc.limit},
        )
        return render(request, "leerrekening/booking_create.html", context, status=400)
    except booking_services.BookingError as exc:
        form.add_error(None, BOOKING_ERRORS.get(type(exc), _("Boeken lukte niet.")))
        return render(request, "leerrekening/booking_create.html", context, status=400)
    messages.success(
        request,
        _("Je hebt %(course)s geboekt. We hebben %(amount)s van je leerrekening gereserveerd.")
        % {"course": course.title, "amount": euro(booking.budget_amount)},
    )
    return redirect("leerrekening:booking-detail", pk=booking.pk)


@worker_required
@require_POST
def booking_code_send(request, pk):
    course = get_object_or_404(selectors_portal.bookable_courses(), pk=pk)
    try:
        one_time_code_send(user=request.user)
    except TooManyCodesSent as exc:
        messages.error(
            request,
            _(
                "We hebben je net al 3 codes gestuurd. Kijk in je e-mail (ook bij spam). "
                "Een nieuwe code kun je vragen na %(time)s uur."
            )
            % {"time": timezone.localtime(exc.retry_at).strftime("%H:%M")},
        )
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
    paginator = Paginator(selectors_portal.bookings_of(worker=request.user), 20)
    page = paginator.get_page(request.GET.get("pagina"))
    return render(
        request,
        "leerrekening/booking_list.html",
        {"page": page, "today": timezone.localdate()},
    )


@worker_required
@never_cache
def booking_detail(request, pk):
    booking = get_object_or_404(selectors_portal.bookings_of(worker=request.user), pk=pk)
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
    booking = get_object_or_404(selectors_portal.bookings_of(worker=request.user), pk=pk)
    try:
        booking = booking_services.booking_cancel(booking=booking, by=request.user)
    except booking_services.BookingNotCancellable:
        messages.error(
            request,
            _("Deze boeking kun je niet meer annuleren. Neem contact op met de opleider."),
        )
        return redirect("leerrekening:booking-detail", pk=booking.pk)
    messages.success(
        request,
        _("Je boeking is geannuleerd. %(amount)s staat weer op je leerrekening.")
        % {"amount": euro(booking.budget_amount)},
    )
    return redirect("leerrekening:booking-list")


@worker_required
@never_cache
def booking_freeze(request, pk):
    booking = get_object_or_404(selectors_portal.bookings_of(worker=request.user), pk=pk)
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


# --- Provider staff -------------------------------------------------------------------------------


@provider_staff_required
@never_cache
def provider_start(request):
    return render(
        request,
        "leerrekening/provider_start.html",
        {
            "payables": selectors_portal.provider_payable_balance(user=request.user),
            "courses": selectors_portal.provider_courses_of(user=request.user),
        },
    )


@provider_staff_required
@never_cache
def provider_course(request, pk):
    course = get_object_or_404(selectors_portal.provider_courses_of(user=request.user), pk=pk)
    bookings = selectors_portal.provider_bookings_of(user=request.user).filter(course=course)
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
    booking = get_object_or_404(selectors_portal.provider_bookings_of(user=request.user), pk=pk)
    try:
        booking_services.booking_declare_start(booking=booking, by=request.user)
    except booking_services.StartTooEarly as exc:
        messages.error(
            request,
            _("Je kunt de start pas melden vanaf %(date)s.")
            % {"date": exc.earliest.strftime("%d-%m-%Y")},
        )
    except booking_services.BookingNotStartable:
        messages.error(
            request,
            _("Voor deze boeking kun je geen start melden: hij is geannuleerd of geblokkeerd."),
        )
    else:
        messages.success(
            request,
            _("De start is gemeld. %(amount)s wordt aan jullie betaald.")
            % {"amount": euro(booking.budget_amount)},
        )
    return redirect("leerrekening:provider-course", pk=booking.course_id)


# --- Coordinators ---------------------------------------------------------------------------------


@coordinator_required
@never_cache
def coordinator_catalogue(request):
    return render(
        request,
        "leerrekening/coordinator_catalogue.html",
        {
            "providers": Provider.objects.order_by("approved_at", "name"),
            "courses": Course.objects.filter(approved_at__isnull=True)
            .select_related("provider")
            .order_by("start_date"),
        },
    )


@coordinator_required
@require_POST
def coordinator_provider_approve(request, pk):
    provider = get_object_or_404(Provider, pk=pk)
    try:
        catalogue_services.provider_approve(provider=provider, by=request.user)
    except catalogue_services.ProviderIncomplete:
        messages.error(
            request,
            _("%(name)s heeft geen geldig KvK-nummer of keurmerk.") % {"name": provider.name},
        )
    else:
        messages.success(request, _("%(name)s is goedgekeurd.") % {"name": provider.name})
    return redirect("leerrekening:coordinator-catalogue")


@coordinator_required
@require_POST
def coordinator_course_approve(request, pk):
    course = get_object_or_404(Course, pk=pk)
    try:
        catalogue_services.course_approve(course=course, by=request.user)
    except catalogue_services.ProviderNotApproved:
        messages.error(request, _("Keur eerst de opleider goed."))
    else:
        messages.success(request, _("%(title)s is goedgekeurd.") % {"title": course.title})
    return redirect("leerrekening:coordinator-catalogue")


@coordinator_required
@never_cache
def coordinator_bookings(request):
    return render(
        request,
        "leerrekening/coordinator_bookings.html",
        {
            "frozen": selectors_portal.frozen_bookings(),
            "anomalies": selectors_portal.booking_anomalies(),
        },
    )


@coordinator_required
@require_POST
def coordinator_booking_release(request, pk):
    booking = get_object_or_404(selectors_portal.frozen_bookings(), pk=pk)
    try:
        booking_services.frozen_booking_release(booking=booking, by=request.user)
    except booking_services.BookingNotCancellable:
        messages.error(
            request,
            _("Deze boeking is al betaald aan de opleider. Los het op met de opleider."),
        )
    else:
        messages.success(request, _("Het geld staat weer op de leerrekening van de werkende."))
    return redirect("leerrekening:coordinator-bookings")


@coordinator_required
@require_POST
def coordinator_booking_restore(request, pk):
    booking = get_object_or_404(selectors_portal.frozen_bookings(), pk=pk)
    booking_services.frozen_booking_restore(booking=booking, by=request.user)
    messages.success(request, _("De boeking loopt weer zoals eerst."))
    return redirect("leerrekening:coordinator-bookings")
