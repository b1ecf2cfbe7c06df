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
