"""factory_boy factories, one per model. Personas in conftest.py build on these."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Employer, EmployerMembership, Employment, Sector, User
from leerrekening.models import Course, Provider, ProviderMembership

TEST_PASSWORD = "Een-lang-testwachtwoord-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"persoon{n}@example.nl")
    full_name = factory.Faker("name", locale="nl_NL")
    is_worker = True
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Sector {n}")
    code = factory.Sequence(lambda n: f"sector-{n}")


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    name = factory.Faker("company", locale="nl_NL")
    kvk_number = factory.Sequence(lambda n: f"{10000000 + n:08d}")
    sector = factory.SubFactory(SectorFactory)


class EmployerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmployerMembership

    user = factory.SubFactory(UserFactory, is_worker=False, is_staff=True)
    employer = factory.SubFactory(EmployerFactory)


class EmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employment

    worker = factory.SubFactory(UserFactory)
    employer = factory.SubFactory(EmployerFactory)
    employee_number = factory.Sequence(lambda n: f"{n:06d}")
    # The roster data an employer gives, here the same as the account's.
    full_name = factory.LazyAttribute(lambda o: o.worker.full_name)
    email = factory.LazyAttribute(lambda o: o.worker.email)
    start_date = datetime.date(2020, 1, 1)
    end_date = None


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Opleider {n}")
    kvk_number = factory.Sequence(lambda n: f"{50000000 + n:08d}")
    quality_mark = "NRTO"
    approved_at = factory.LazyFunction(timezone.now)


class ProviderMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderMembership

    user = factory.SubFactory(UserFactory, is_worker=False)
    provider = factory.SubFactory(ProviderFactory)
    role = ProviderMembership.Role.MANAGER


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    provider = factory.SubFactory(ProviderFactory)
    title = factory.Sequence(lambda n: f"Cursus {n}")
    description = "Een praktische cursus."
    price = Decimal("250.00")
    format = Course.Format.ONLINE
    duration_hours = 8
    start_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    capacity = 12
    approved_at = factory.LazyFunction(timezone.now)


# --- Ledger -----------------------------------------------------------------------------------


class FunderFactory(factory.django.DjangoModelFactory):
    """An employer funder (with its employer) unless kind is given."""

    class Meta:
        model = "leerrekening.Funder"

    name = factory.LazyAttribute(lambda o: o.employer.name if o.employer else "Sectorfonds")
    kind = "employer"
    employer = factory.SubFactory(EmployerFactory)


# --- ambassadeurs ---------------------------------------------------------------------------------

from ambassadeurs.models import (  # noqa: E402
    Ambassadorship,
    Channel,
    Conversation,
    ConversationRequest,
    ConversationTopic,
    Outcome,
    Topic,
)


class AmbassadorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ambassadorship

    ambassador = factory.SubFactory(UserFactory, is_ambassador=True)
    employer = factory.SubFactory(EmployerFactory)
    sector = None


class ConversationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConversationRequest

    worker = factory.SubFactory(UserFactory)
    employer = factory.SubFactory(EmployerFactory)
    topic = Topic.CAREER
    channel = Channel.SHOP_FLOOR
    message = "Ik wil graag iets anders gaan doen."
    contact = ""


class ConversationFactory(factory.django.DjangoModelFactory):
    """An anonymous conversation; pass request= and worker= (its request's worker) to link one."""

    class Meta:
        model = Conversation
        skip_postgeneration_save = True

    ambassador = factory.SubFactory(UserFactory, is_ambassador=True)
    employer = factory.SubFactory(EmployerFactory)
    sector = factory.LazyAttribute(lambda o: o.employer.sector)
    held_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    duration_minutes = 30
    channel = Channel.SHOP_FLOOR
    outcome = Outcome.INFORMATION
    private_notes = "Vertrouwelijk: twijfelt over overstap naar de bouw."

    @factory.post_generation
    def topic_list(obj, create, extracted, **kwargs):
        if create:
            for topic in extracted or [Topic.CAREER]:
                ConversationTopic.objects.create(conversation=obj, topic=topic)
