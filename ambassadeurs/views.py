"""Pages for workers (/gesprek/), ambassadors (/ambassadeur/) and coordinators (/beheer/gesprekken/).

Views are thin: fetch through a scoped selector (so others' rows are a 404), call one service,
map domain errors to a message, render.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import ambassador_required, coordinator_required, worker_required
from ambassadeurs import selectors, services
from ambassadeurs.forms import ConversationForm, FiguresFilterForm, RequestForm
from ambassadeurs.models import ConversationRequest
from leerportaal import ratelimit
from leerportaal.client_address import client_address
from leerportaal.errors import message_error
from leerportaal.excel_csv import excel_csv_response

# --- Worker ---------------------------------------------------------------------------------------


@worker_required
@never_cache
def worker_home(request):
    return render(
        request,
        "ambassadeurs/worker_home.html",
        {
            "ambassadors": selectors.ambassadors_for_worker(worker=request.user),
            "requests": selectors.requests_of_worker(worker=request.user)[:20],
            "conversations": selectors.conversations_of_worker(worker=request.user),
        },
    )


@worker_required
@never_cache
def request_create(request):
    employers = selectors.current_employers_of(worker=request.user)
    if not employers:
        return render(request, "ambassadeurs/request_create.html", {"no_workplace": True})
    form = RequestForm(request.POST or None, employers=employers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # No account is stored with an anonymous request, so the cap per worker cannot count it:
        # it is capped per client address instead.
        if data["anonymous"] and ratelimit.hit(
            scope="ambassadeurs-anonymous",
            key=client_address(request),
            limit=settings.AMBASSADEURS_ANONYMOUS_REQUESTS_PER_HOUR,
            period=3600,
        ):
            form.add_error(
                None,
                _(
                    "Er zijn vanaf deze plek al veel vragen zonder naam gestuurd. "
                    "Probeer het over een uur opnieuw, of stuur je vraag met je naam."
                ),
            )
            return render(request, "ambassadeurs/request_create.html", {"form": form}, status=429)
        try:
            created = services.request_create(
                worker=request.user,
                employer=data["employer"],
                topic=data["topic"],
                channel=data["channel"],
                message=data["message"],
                contact=data["contact"],
                anonymous=data["anonymous"],
            )
        except services.TooManyOpenRequests as exc:
            message_error(request, exc)
            return redirect("ambassadeurs:worker-home")
        except services.NotAWorkplace as exc:
            raise Http404 from exc
        if created.is_anonymous:
            messages.success(
                request,
                _(
                    "Je vraag is verstuurd, zonder je naam. Bewaar deze pagina om te zien wie je belt."
                ),
            )
            return redirect("ambassadeurs:anonymous-status", token=created.status_token)
        messages.success(
            request, _("Je vraag is verstuurd. Je ziet hier wie contact met je opneemt.")
        )
        return redirect("ambassadeurs:worker-home")
    return render(request, "ambassadeurs/request_create.html", {"form": form})


@worker_required
@require_POST
def worker_request_cancel(request, pk: int):
    own = get_object_or_404(selectors.requests_of_worker(worker=request.user), pk=pk)
    try:
        services.request_cancel(request=own, worker=request.user)
    except services.InvalidConversation as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Je vraag is ingetrokken."))
    return redirect("ambassadeurs:worker-home")


@worker_required
@never_cache
def anonymous_status(request, token: str):
    found = get_object_or_404(
        ConversationRequest.objects.select_related("claimed_by", "employer"),
        status_token=token,
        worker__isnull=True,
    )
    return render(request, "ambassadeurs/anonymous_status.html", {"found": found})


@worker_required
@never_cache
def worker_conversation(request, pk: int):
    conversation = get_object_or_404(selectors.conversations_of_worker(worker=request.user), pk=pk)
    return render(request, "ambassadeurs/worker_conversation.html", {"conversation": conversation})


@worker_required
@require_POST
def worker_conversation_unlink(request, pk: int):
    conversation = get_object_or_404(selectors.conversations_of_worker(worker=request.user), pk=pk)
    services.conversation_unlink(conversation=conversation, worker=request.user)
    messages.success(
        request, _("Het gesprek is losgekoppeld van je account. Je ziet het hier niet meer.")
    )
    return redirect("ambassadeurs:worker-home")


# --- Ambassador -----------------------------------------------------------------------------------


@ambassador_required
@never_cache
def start(request):
    me = request.user
    own = selectors.conversations_of_ambassador(ambassador=me)
    since = timezone.localdate().replace(day=1) - datetime.timedelta(days=335)
    recent = own.filter(held_on__gte=since.replace(day=1))
    return render(
        request,
        "ambassadeurs/start.html",
        {
            "open_requests": selectors.open_requests_for_ambassador(ambassador=me)[:20],
            "claimed_requests": selectors.claimed_requests_of(ambassador=me),
            "follow_ups": selectors.follow_ups_due(ambassador=me),
            "conversations": own[:5],
            "figures": selectors.figures(conversations=recent, suppress=False),
            "month_topics": selectors.month_topic_table(conversations=recent),
            "workplaces": selectors.employers_served_by(ambassador=me),
        },
    )


@ambassador_required
@never_cache
def request_detail(request, pk: int):
    found = get_object_or_404(
        selectors.requests_visible_to_ambassador(ambassador=request.user), pk=pk
    )
    return render(request, "ambassadeurs/request_detail.html", {"found": found})


@ambassador_required
@require_POST
def request_claim(request, pk: int):
    found = get_object_or_404(
        selectors.requests_visible_to_ambassador(ambassador=request.user), pk=pk
    )
    try:
        services.request_claim(request=found, ambassador=request.user)
    except services.AlreadyClaimed as exc:
        message_error(request, exc)
        return redirect("ambassadeurs:start")
    except services.NotAllowed as exc:
        raise Http404 from exc
    messages.success(
        request, _("Je hebt de vraag opgepakt. Neem contact op en leg daarna het gesprek vast.")
    )
    return redirect("ambassadeurs:request-detail", pk=found.pk)


@ambassador_required
@never_cache
def conversation_list(request):
    page = Paginator(selectors.conversations_of_ambassador(ambassador=request.user), 25).get_page(
        request.GET.get("pagina")
    )
    return render(request, "ambassadeurs/conversation_list.html", {"page": page})


@ambassador_required
@never_cache
def conversation_create(request):
    me = request.user
    from_request = None
    if request.GET.get("hulpvraag") or request.POST.get("hulpvraag"):
        try:
            request_id = int(request.GET.get("hulpvraag") or request.POST.get("hulpvraag"))
        except ValueError as exc:
            raise Http404 from exc
        from_request = get_object_or_404(
            selectors.claimed_requests_of(ambassador=me), pk=request_id
        )
        form = ConversationForm(
            request.POST or None,
            employers=None,
            linked_worker=not from_request.is_anonymous,
            initial={"channel": from_request.channel, "topics": [from_request.topic]},
        )
    else:
        employers = selectors.employers_served_by(ambassador=me)
        form = ConversationForm(request.POST or None, employers=employers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = services.conversation_log(
                ambassador=me,
                request=from_request,
                employer=data.get("employer"),
                held_on=data["held_on"],
                duration_minutes=data["duration_minutes"],
                channel=data["channel"],
                topics=data["topics"],
                outcome=data["outcome"],
                follow_up_on=data["follow_up_on"],
                private_notes=data["private_notes"],
                notes_shared=data.get("notes_shared", False),
            )
        except services.NotAllowed as exc:
            raise Http404 from exc
        except services.InvalidConversation as exc:
            message_error(request, exc)
            return redirect("ambassadeurs:start")
        messages.success(request, _("Het gesprek is vastgelegd."))
        return redirect("ambassadeurs:conversation-detail", pk=conversation.pk)
    return render(
        request,
        "ambassadeurs/conversation_form.html",
        {"form": form, "from_request": from_request},
    )


@ambassador_required
@never_cache
def conversation_detail(request, pk: int):
    conversation = get_object_or_404(
        selectors.conversations_of_ambassador(ambassador=request.user).select_related("request"),
        pk=pk,
    )
    return render(request, "ambassadeurs/conversation_detail.html", {"conversation": conversation})


@ambassador_required
@never_cache
def conversation_edit(request, pk: int):
    conversation = get_object_or_404(
        selectors.conversations_of_ambassador(ambassador=request.user), pk=pk
    )
    initial = {
        "held_on": conversation.held_on,
        "duration_minutes": conversation.duration_minutes,
        "channel": conversation.channel,
        "topics": [t.topic for t in conversation.topics.all()],
        "outcome": conversation.outcome,
        "follow_up_on": conversation.follow_up_on,
        "private_notes": conversation.private_notes,
        "notes_shared": conversation.notes_shared,
    }
    form = ConversationForm(
        request.POST or None,
        initial=initial,
        employers=None,
        linked_worker=conversation.worker_id is not None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.conversation_update(
            conversation=conversation,
            ambassador=request.user,
            held_on=data["held_on"],
            duration_minutes=data["duration_minutes"],
            channel=data["channel"],
            topics=data["topics"],
            outcome=data["outcome"],
            follow_up_on=data["follow_up_on"],
            private_notes=data["private_notes"],
            notes_shared=data.get("notes_shared", False),
        )
        messages.success(request, _("Het gesprek is bijgewerkt."))
        return redirect("ambassadeurs:conversation-detail", pk=conversation.pk)
    return render(
        request,
        "ambassadeurs/conversation_form.html",
        {"form": form, "conversation": conversation},
    )


@ambassador_required
@require_POST
def conversation_follow_up_done(request, pk: int):
    conversation = get_object_or_404(
        selectors.conversations_of_ambassador(ambassador=request.user), pk=pk
    )
    services.conversation_follow_up_done(conversation=conversation, ambassador=request.user)
    messages.success(request, _("Het vervolg is afgevinkt."))
    return redirect("ambassadeurs:start")


# --- Coordinator ----------------------------------------------------------------------------------


def _coordinator_figures(request, *, iso_months: bool = False):
    form = FiguresFilterForm(request.GET or None, years=selectors.years_with_conversations())
    year = form.cleaned_data.get("jaar") if form.is_valid() else None
    result = selectors.figures(
        conversations=selectors.conversations_in_year(year=year),
        suppress=True,
        by_employer=True,
        iso_months=iso_months,
    )
    return form, year, result


@coordinator_required
@never_cache
def coordinator_figures(request):
    form, year, result = _coordinator_figures(request)
    return render(
        request,
        "ambassadeurs/coordinator_figures.html",
        {
            "form": form,
            "year": year,
            "figures": result,
            "threshold": selectors.SMALL_GROUP_THRESHOLD,
        },
    )


@coordinator_required
@never_cache
def coordinator_figures_export(request):
    _form, year, result = _coordinator_figures(request, iso_months=True)
    suppressed = f"<{selectors.SMALL_GROUP_THRESHOLD}"
    rows = [
        [_("indeling"), _("waarde"), _("aantal gesprekken")],
        [_("totaal"), "", suppressed if result["total"] is None else result["total"]],
    ]
    for breakdown in result["breakdowns"]:
        for row in breakdown.rows:
            rows.append([breakdown.key, row.label, suppressed if row.suppressed else row.count])
    # Formulae escaped there (an employer named "=HYPERLINK(...)" stays text).
    return excel_csv_response(f"gesprekken-{year or 'alle-jaren'}.csv", rows, stream=False)
