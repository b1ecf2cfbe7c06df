"""Demo data for ambassadors: the demo ambassador serves Versmarkt, with requests and conversations.

Idempotent: requests are found by (worker, employer, message), conversations by (ambassador,
employer, duration, channel, outcome), and brought to the described state; running twice (also on
another day) gives the same rows.
Dates are relative to today, so the figures always show recent months.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Employer, User
from ambassadeurs.models import (
    Ambassadorship,
    Channel,
    Conversation,
    ConversationRequest,
    ConversationTopic,
    Outcome,
    Topic,
)

DEMO_DOMAIN = "demo.leerportaal.nl"
VERSMARKT_KVK = "12345678"

# worker local part, topic, channel, message, status
REQUESTS = [
    (
        "jeroen.smit",
        Topic.CHOOSING_TRAINING,
        Channel.SHOP_FLOOR,
        "Ik wil graag heftruckchauffeur worden. Welke opleiding past bij mij?",
        ConversationRequest.Status.OPEN,
    ),
    (
        "anna.kowalski",
        Topic.LANGUAGE,
        Channel.PHONE,
        "Ik wil beter Nederlands leren schrijven voor mijn werk.",
        ConversationRequest.Status.DONE,
    ),
]

# days ago, minutes, channel, topics, outcome, follow-up in days (from today), notes, from request
CONVERSATIONS = [
    (
        3,
        30,
        Channel.PHONE,
        [Topic.LANGUAGE, Topic.CHOOSING_TRAINING],
        Outcome.FOLLOW_UP,
        0,
        "Anna twijfelt tussen een cursus op locatie en online. Samen het aanbod bekijken.",
        "anna.kowalski",
    ),
    (
        12,
        20,
        Channel.SHOP_FLOOR,
        [Topic.LEARNING_ACCOUNT],
        Outcome.INFORMATION,
        None,
        "Uitleg over het saldo en de einddatum van de tegoeden.",
        None,
    ),
    (
        40,
        45,
        Channel.SHOP_FLOOR,
        [Topic.CAREER, Topic.WORK_LIFE],
        Outcome.CAREER_COACH,
        None,
        "Wil na tien jaar iets anders. Doorverwezen naar een loopbaancoach.",
        None,
    ),
    (
        70,
        25,
        Channel.VIDEO,
        [Topic.DIGITAL_SKILLS],
        Outcome.TRAINING_BOOKED,
        None,
        "Digitale vaardigheden geboekt, start over een maand.",
        None,
    ),
    (
        100,
        15,
        Channel.SHOP_FLOOR,
        [Topic.LEARNING_ACCOUNT, Topic.CHOOSING_TRAINING],
        Outcome.INFORMATION,
        None,
        "",
        None,
    ),
]


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


@transaction.atomic
def seed_ambassadeurs_demo() -> dict[str, int]:
    today = timezone.localdate()
    now = timezone.now()
    ambassador = User.objects.get(email=_email("ambassadeur"))
    versmarkt = Employer.objects.get(kvk_number=VERSMARKT_KVK)
    Ambassadorship.objects.get_or_create(ambassador=ambassador, employer=versmarkt)

    requests = {}
    for local, topic, channel, message, status in REQUESTS:
        worker = User.objects.get(email=_email(local))
        claimed = status != ConversationRequest.Status.OPEN
        found = ConversationRequest.objects.filter(
            worker=worker, employer=versmarkt, message=message
        ).first() or ConversationRequest(worker=worker, employer=versmarkt, message=message)
        found.topic = topic
        found.channel = channel
        found.status = status
        found.claimed_by = ambassador if claimed else None
        found.claimed_at = (found.claimed_at or now) if claimed else None
        # Demo rows never e-mail anyone.
        found.claimed_notified_at = (found.claimed_notified_at or now) if claimed else None
        found.save()
        requests[local] = found

    for (
        days_ago,
        minutes,
        channel,
        topics,
        outcome,
        follow_up,
        notes,
        from_request,
    ) in CONVERSATIONS:
        held_on = today - datetime.timedelta(days=days_ago)
        request = requests[from_request] if from_request else None
        conversation, _ = Conversation.objects.update_or_create(
            ambassador=ambassador,
            employer=versmarkt,
            duration_minutes=minutes,
            channel=channel,
            outcome=outcome,
            defaults={
                "held_on": held_on,
                "request": request,
                "worker": request.worker if request else None,
                "sector_id": versmarkt.sector_id,
                "follow_up_on": (
                    today + datetime.timedelta(days=follow_up) if follow_up is not None else None
                ),
                "follow_up_done": False,
                "private_notes": notes,
                "notes_shared": False,
                "notes_erased_at": None,
            },
        )
        conversation.topics.exclude(topic__in=topics).delete()
        for topic in topics:
            ConversationTopic.objects.get_or_create(conversation=conversation, topic=topic)

    return {
        "requests": ConversationRequest.objects.filter(employer=versmarkt).count(),
        "conversations": Conversation.objects.filter(ambassador=ambassador).count(),
    }
