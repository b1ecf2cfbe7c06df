"""Learning ambassadors, requests for a conversation and conversation logs.

A learning ambassador (leerambassadeur) is a shop-floor colleague who acts as a confidential person
for learning and career questions. The rules that shape these models:

- An ambassador serves workplaces through `Ambassadorship` rows: one per employer, or one for a
  whole sector. A worker's current employers decide which ambassadors they see, and which
  ambassadors see the worker's requests.
- A worker asks for a talk with a `ConversationRequest`, with their account linked or anonymously
  (no account link; a secret status link and a free-text contact line instead). One ambassador
  claims it; the worker is told who will contact them.
- The ambassador logs a `Conversation`. It is linked to a worker only through that worker's own
  request (their consent); the worker can withdraw that link at any time, after which the
  conversation is anonymous. The database refuses a worker link without a request.
- Confidentiality: a conversation is visible to the ambassador who logged it and to the linked
  worker, never to an employer; coordinators see only aggregates with small groups suppressed.
  That is why nothing here is registered in the admin except who is an ambassador where.
- Retention: private notes, and a request's message and contact line, are erased after
  AMBASSADEURS_NOTES_RETENTION_MONTHS (a beat task), counted from the earlier of the record's
  creation and its date, so moving a conversation's date cannot extend it; the countable facts
  (date, duration, channel, topics, outcome, employer, sector) stay for the aggregate figures.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Employer, Sector


class Channel(models.TextChoices):
    SHOP_FLOOR = "shop_floor", _("Op de werkvloer")
    PHONE = "phone", _("Telefoon")
    VIDEO = "video", _("Video")


class Topic(models.TextChoices):
    CAREER = "career", _("Loopbaan")
    CHOOSING_TRAINING = "choosing_training", _("Opleiding kiezen")
    LEARNING_ACCOUNT = "learning_account", _("Leerrekening uitleggen")
    DIGITAL_SKILLS = "digital_skills", _("Digitale vaardigheden")
    LANGUAGE = "language", _("Taal")
    WORK_LIFE = "work_life", _("Werk en privé")
    RECOGNITION = "recognition", _("Ervaring laten erkennen (EVC)")
    OTHER = "other", _("Iets anders")


class Outcome(models.TextChoices):
    INFORMATION = "information", _("Informatie gegeven")
    CAREER_COACH = "career_coach", _("Doorverwezen naar loopbaancoach")
    TRAINING_BOOKED = "training_booked", _("Opleiding geboekt")
    FOLLOW_UP = "follow_up", _("Vervolggesprek gepland")


class Ambassadorship(models.Model):
    """An ambassador serves one employer, or every employer in one sector."""

    ambassador = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leerambassadeur"),
        on_delete=models.CASCADE,
        related_name="ambassadorships",
        limit_choices_to={"is_ambassador": True},
    )
    employer = models.ForeignKey(
        Employer,
        verbose_name=_("werkgever"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ambassadorships",
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ambassadorships",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inzet als leerambassadeur")
        verbose_name_plural = _("inzet als leerambassadeur")
        constraints = [
            models.CheckConstraint(
                condition=Q(employer__isnull=False, sector__isnull=True)
                | Q(employer__isnull=True, sector__isnull=False),
                name="ambassadorship_employer_xor_sector",
            ),
            models.UniqueConstraint(
                fields=["ambassador", "employer"],
                condition=Q(employer__isnull=False),
                name="ambassadorship_unique_employer",
            ),
            models.UniqueConstraint(
                fields=["ambassador", "sector"],
                condition=Q(sector__isnull=False),
                name="ambassadorship_unique_sector",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ambassador} — {self.employer or self.sector}"


def new_status_token() -> str:
    return secrets.token_urlsafe(24)


class ConversationRequest(models.Model):
    """A worker's request for a talk (hulpvraag), routed to the ambassadors of their workplace."""

    class Status(models.TextChoices):
        OPEN = "open", _("Wacht op een leerambassadeur")
        CLAIMED = "claimed", _("Opgepakt")
        DONE = "done", _("Gesprek gevoerd")
        CANCELLED = "cancelled", _("Ingetrokken")

    # Null for an anonymous request: then no account is linked, ever.
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("werkende"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conversation_requests",
    )
    employer = models.ForeignKey(
        Employer,
        verbose_name=_("werkplek"),
        on_delete=models.PROTECT,
        related_name="conversation_requests",
    )
    topic = models.CharField(_("onderwerp"), max_length=30, choices=Topic.choices)
    channel = models.CharField(_("liefst via"), max_length=20, choices=Channel.choices)
    message = models.TextField(_("bericht"), blank=True, max_length=2000)
    contact = models.CharField(
        _("hoe kunnen we je bereiken?"),
        max_length=200,
        blank=True,
        help_text=_("Bijvoorbeeld je voornaam en afdeling, of een telefoonnummer."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opgepakt door"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_requests",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set when the worker was e-mailed who will contact them; a retried task sends nothing twice.
    claimed_notified_at = models.DateTimeField(null=True, blank=True)
    # The only way an anonymous requester can see who will contact them.
    status_token = models.CharField(max_length=64, unique=True, default=new_status_token)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the message and contact line were erased (the same retention as private notes).
    details_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hulpvraag")
        verbose_name_plural = _("hulpvragen")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", claimed_by__isnull=True)
                | Q(status="cancelled")
                | Q(status__in=["claimed", "done"], claimed_by__isnull=False),
                name="conversation_request_claimed_has_ambassador",
            ),
            models.CheckConstraint(
                condition=Q(worker__isnull=False)
                | ~Q(contact="")
                | Q(details_erased_at__isnull=False),
                name="conversation_request_anonymous_has_contact",
            ),
        ]
        indexes = [models.Index(fields=["employer", "status"])]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} ({self.get_status_display()})"

    @property
    def is_anonymous(self) -> bool:
        return self.worker_id is None


class Conversation(models.Model):
    """A logged coaching conversation. Private notes are the ambassador's, and erased in time."""

    ambassador = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leerambassadeur"),
        on_delete=models.PROTECT,
        related_name="conversations_logged",
    )
    request = models.OneToOneField(
        ConversationRequest,
        verbose_name=_("hulpvraag"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation",
    )
    # Set only from the worker's own request; cleared when the worker withdraws the link.
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("werkende"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    employer = models.ForeignKey(
        Employer,
        verbose_name=_("werkplek"),
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    # Kept beside the employer so the sector figures do not change when an employer moves sector.
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="conversations"
    )
    held_on = models.DateField(_("datum"))
    duration_minutes = models.PositiveSmallIntegerField(_("duur in minuten"))
    channel = models.CharField(_("hoe"), max_length=20, choices=Channel.choices)
    outcome = models.CharField(_("uitkomst"), max_length=30, choices=Outcome.choices)
    follow_up_on = models.DateField(_("vervolg op"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("vervolg gedaan"), default=False)
    # The day a reminder e-mail went out, so a retried task never sends it twice.
    follow_up_reminded_on = models.DateField(null=True, blank=True)
    private_notes = models.TextField(_("eigen notities"), blank=True, max_length=5000)
    notes_shared = models.BooleanField(
        _("notities delen met de collega"),
        default=False,
        help_text=_("Alleen als de collega gekoppeld is. Zij kunnen dan je notities lezen."),
    )
    notes_erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("gesprek")
        verbose_name_plural = _("gesprekken")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=480),
                name="conversation_duration_1_to_480_minutes",
            ),
            # Consent: a worker is linked only through their own request.
            models.CheckConstraint(
                condition=Q(worker__isnull=True) | Q(request__isnull=False),
                name="conversation_worker_only_through_request",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="follow_up") | Q(follow_up_on__isnull=False),
                name="conversation_follow_up_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["ambassador", "-held_on"]),
            models.Index(fields=["held_on"]),
            models.Index(
                fields=["follow_up_on"],
                condition=Q(follow_up_done=False, follow_up_on__isnull=False),
                name="conversation_follow_up_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} — {self.get_channel_display()}"


class ConversationTopic(models.Model):
    """One topic of a conversation: a row per topic, so figures per topic are a plain GROUP BY."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField(_("onderwerp"), max_length=30, choices=Topic.choices)

    class Meta:
        verbose_name = _("onderwerp van gesprek")
        verbose_name_plural = _("onderwerpen van gesprekken")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "topic"], name="conversation_topic_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.get_topic_display()
