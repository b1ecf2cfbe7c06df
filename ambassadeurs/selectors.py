"""Reads for ambassadors, workers and coordinators. Every queryset here is scoped to its reader.

Views fetch single rows through these scoped querysets (get_object_or_404), so a row that is not
the reader's is a 404, indistinguishable from a row that does not exist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Employer, User, employment_active_on_q
from ambassadeurs.models import (
    Ambassadorship,
    Conversation,
    ConversationRequest,
    ConversationTopic,
    Outcome,
    Topic,
)

# Any figure about fewer than this many conversations is not shown to coordinators.
SMALL_GROUP_THRESHOLD = 5


# --- Workplaces -----------------------------------------------------------------------------------


def current_employers_of(*, worker: User, day: datetime.date | None = None) -> QuerySet[Employer]:
    day = day or timezone.localdate()
    return (
        Employer.objects.filter(
            employment_active_on_q(day, prefix="employments__"), employments__worker=worker
        )
        .select_related("sector")
        .distinct()
        .order_by("name")
    )


def _reach_q(*, ambassador: User, prefix: str = "") -> Q:
    """Rows whose employer (at `prefix`employer) is served by this ambassador."""
    employer_ids = Ambassadorship.objects.filter(
        ambassador=ambassador, employer__isnull=False
    ).values("employer_id")
    sector_ids = Ambassadorship.objects.filter(ambassador=ambassador, sector__isnull=False).values(
        "sector_id"
    )
    return Q(**{f"{prefix}employer_id__in": employer_ids}) | Q(
        **{f"{prefix}employer__sector_id__in": sector_ids}
    )


def employers_served_by(*, ambassador: User) -> QuerySet[Employer]:
    return (
        Employer.objects.filter(
            Q(ambassadorships__ambassador=ambassador)
            | Q(sector__ambassadorships__ambassador=ambassador)
        )
        .select_related("sector")
        .distinct()
        .order_by("name")
    )


def ambassadors_for_worker(*, worker: User) -> list[dict]:
    """The ambassadors who serve the worker's current workplaces (not the worker themself)."""
    employers = list(current_employers_of(worker=worker))
    if not employers:
        return []
    employer_ids = [e.pk for e in employers]
    sector_ids = {e.sector_id for e in employers}
    ships = (
        Ambassadorship.objects.filter(
            Q(employer_id__in=employer_ids) | Q(sector_id__in=sector_ids),
            ambassador__is_ambassador=True,
            ambassador__is_active=True,
        )
        .exclude(ambassador=worker)
        .select_related("ambassador", "employer", "sector")
        .order_by("ambassador__full_name", "pk")
    )
    found: dict[int, dict] = {}
    for ship in ships:
        entry = found.setdefault(
            ship.ambassador_id, {"ambassador": ship.ambassador, "workplaces": []}
        )
        entry["workplaces"].append(ship.employer or ship.sector)
    return list(found.values())


# --- Requests -------------------------------------------------------------------------------------


def requests_of_worker(*, worker: User) -> QuerySet[ConversationRequest]:
    return (
        ConversationRequest.objects.filter(worker=worker)
        .select_related("employer", "claimed_by")
        .order_by("-created_at")
    )


def open_requests_for_ambassador(*, ambassador: User) -> QuerySet[ConversationRequest]:
    """Open requests from the ambassador's workplaces, oldest first; never their own."""
    return (
        ConversationRequest.objects.filter(
            _reach_q(ambassador=ambassador), status=ConversationRequest.Status.OPEN
        )
        .exclude(worker=ambassador)
        .select_related("employer", "worker")
        .order_by("created_at")
    )


def claimed_requests_of(*, ambassador: User) -> QuerySet[ConversationRequest]:
    """Requests this ambassador claimed and has not logged a conversation for yet."""
    return (
        ConversationRequest.objects.filter(
            claimed_by=ambassador, status=ConversationRequest.Status.CLAIMED
        )
        .select_related("employer", "worker")
        .order_by("claimed_at")
    )


def requests_visible_to_ambassador(*, ambassador: User) -> QuerySet[ConversationRequest]:
    """What an ambassador may open: open ones in reach, and the ones they claimed."""
    return (
        ConversationRequest.objects.filter(
            (_reach_q(ambassador=ambassador) & Q(status=ConversationRequest.Status.OPEN))
            | Q(claimed_by=ambassador)
        )
        .exclude(worker=ambassador)
        .select_related("employer", "worker", "claimed_by")
    )


# --- Conversations --------------------------------------------------------------------------------


def conversations_of_ambassador(*, ambassador: User) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(ambassador=ambassador)
        .select_related("employer", "worker")
        .prefetch_related("topics")
        .order_by("-held_on", "-id")
    )


def conversations_of_worker(*, worker: User) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(worker=worker)
        .select_related("ambassador", "employer")
        .prefetch_related("topics")
        .order_by("-held_on", "-id")
    )


def follow_ups_due(*, ambassador: User, day: datetime.date | None = None) -> QuerySet[Conversation]:
    """Open follow-ups up to and including `day` (today), the oldest first."""
    day = day or timezone.localdate()
    return (
        Conversation.objects.filter(
            ambassador=ambassador, follow_up_done=False, follow_up_on__lte=day
        )
        .select_related("worker", "employer")
        .order_by("follow_up_on", "id")
    )


# --- Figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    count: int | None  # None: suppressed, fewer than SMALL_GROUP_THRESHOLD (or its complement)
    percent: int = 0  # bar width, relative to the largest shown value

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    rows: list[Row]


def _rows(pairs: list[tuple[str, int]], *, suppress: bool) -> list[Row]:
    counts: list[int | None] = list(n for _, n in pairs)
    if suppress:
        small = [i for i, n in enumerate(counts) if n is not None and n < SMALL_GROUP_THRESHOLD]
        for i in small:
            counts[i] = None
        # Secondary suppression: with the total published, one hidden cell could be worked out
        # by subtraction, so hide the next smallest cell too.
        if len(small) == 1 and len(counts) > 1:
            shown = [i for i, n in enumerate(counts) if n is not None]
            if shown:
                counts[min(shown, key=lambda i: counts[i])] = None
    top = max((n for n in counts if n is not None), default=0)
    return [
        Row(label=label, count=n, percent=round(100 * n / top) if n and top else 0)
        for (label, _), n in zip(pairs, counts, strict=True)
    ]


def _month_label(month: datetime.date, *, iso: bool = False) -> str:
    # Localised ("maart 2026") on pages, sortable ("2026-03") in exports.
    return month.strftime("%Y-%m") if iso else date_format(month, "YEAR_MONTH_FORMAT")


def figures(
    *,
    conversations: QuerySet[Conversation],
    suppress: bool,
    by_employer: bool = False,
    iso_months: bool = False,
) -> dict:
    """Counts per month, topic, outcome (and employer and sector), as Breakdowns for a template.

    With `suppress`, any cell below SMALL_GROUP_THRESHOLD is hidden, and so is the total when
    it is itself that small. A fixed, small number of queries, whatever the number of rows.
    """
    ids = conversations.values("id")
    base = Conversation.objects.filter(id__in=ids)
    totals = base.aggregate(n=Count("id"), minutes=Sum("duration_minutes"))
    total = totals["n"] or 0
    months = [
        (_month_label(r["month"], iso=iso_months), r["n"])
        for r in base.annotate(month=TruncMonth("held_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    ]
    topic_counts = dict(
        ConversationTopic.objects.filter(conversation_id__in=ids)
        .values("topic")
        .annotate(n=Count("conversation_id", distinct=True))
        .values_list("topic", "n")
    )
    topics = [
        (str(label), topic_counts[value]) for value, label in Topic.choices if value in topic_counts
    ]
    outcome_counts = dict(
        base.values("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    outcomes = [
        (str(label), outcome_counts[value])
        for value, label in Outcome.choices
        if value in outcome_counts
    ]
    breakdowns = [
        Breakdown("month", "maand", _rows(months, suppress=suppress)),
        Breakdown("topic", "onderwerp", _rows(topics, suppress=suppress)),
        Breakdown("outcome", "uitkomst", _rows(outcomes, suppress=suppress)),
    ]
    if by_employer:
        employers = [
            (r["employer__name"], r["n"])
            for r in base.values("employer__name")
            .annotate(n=Count("id"))
            .order_by("employer__name")
        ]
        sectors = [
            (r["sector__name"], r["n"])
            for r in base.values("sector__name").annotate(n=Count("id")).order_by("sector__name")
        ]
        breakdowns += [
            Breakdown("employer", "werkgever", _rows(employers, suppress=suppress)),
            Breakdown("sector", "sector", _rows(sectors, suppress=suppress)),
        ]
    hide_total = suppress and total < SMALL_GROUP_THRESHOLD
    return {
        "total": None if hide_total else total,
        "minutes": None if hide_total else (totals["minutes"] or 0),
        "breakdowns": breakdowns,
    }


def month_topic_table(*, conversations: QuerySet[Conversation]) -> dict:
    """An ambassador's own figures: conversations per month and topic (no suppression: their own)."""
    rows = (
        ConversationTopic.objects.filter(conversation__in=conversations.values("id"))
        .annotate(month=TruncMonth("conversation__held_on"))
        .values("month", "topic")
        .annotate(n=Count("conversation_id", distinct=True))
        .order_by("month")
    )
    months: dict[str, dict[str, int]] = {}
    for r in rows:
        months.setdefault(_month_label(r["month"]), {})[r["topic"]] = r["n"]
    used = [
        (value, label) for value, label in Topic.choices if any(value in m for m in months.values())
    ]
    return {
        "topics": [label for _, label in used],
        "rows": [
            (month, [cells.get(value, 0) for value, _ in used]) for month, cells in months.items()
        ],
    }


def conversations_in_year(*, year: int | None) -> QuerySet[Conversation]:
    queryset = Conversation.objects.all()
    if year:
        queryset = queryset.filter(held_on__year=year)
    return queryset


def years_with_conversations() -> list[int]:
    return sorted({d.year for d in Conversation.objects.dates("held_on", "year")}, reverse=True)
