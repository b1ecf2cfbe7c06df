"""Demo data: two employers, their employees, an ambassador, a provider with courses (and an IBAN),
a provider awaiting approval (with its proof), a coordinator.

Idempotent: every row is found by its natural key (e-mail, KvK number, title) and brought to the
described state, so running it twice gives the same data. Passwords are reset each run.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Employer, EmployerMembership, Employment, Sector, User
from leerrekening.models import Course, Provider, ProviderMembership, ProviderQualityMark

DEMO_PASSWORD = "Leerportaal-demo-2026"
DEMO_DOMAIN = "demo.leerportaal.nl"

SECTORS = [("Supermarkten", "supermarkten"), ("Bouw en infra", "bouw")]

EMPLOYERS = [
    {"name": "Versmarkt Supermarkten B.V.", "kvk_number": "12345678", "sector": "supermarkten"},
    {"name": "Bouwbedrijf De Hoeksteen B.V.", "kvk_number": "87654321", "sector": "bouw"},
]

# email local part, name, flags, employer kvk, employee number, start date
PEOPLE = [
    ("werkende", "Sanne de Vries", {}, "12345678", "000123", datetime.date(2019, 3, 1)),
    (
        "ambassadeur",
        "Mohamed El Amrani",
        {"is_ambassador": True},
        "12345678",
        "000045",
        datetime.date(2015, 9, 1),
    ),
    ("werkgever", "Petra Jansen", {"is_worker": False, "is_staff": True}, None, None, None),
    ("opleider", "Kees Bakker", {"is_worker": False}, None, None, None),
    ("opleider-aanmelding", "Wim Wachter", {"is_worker": False}, None, None, None),
    (
        "beheer",
        "Fatima Yilmaz",
        {"is_worker": False, "is_staff": True, "is_coordinator": True},
        None,
        None,
        None,
    ),
    ("jeroen.smit", "Jeroen Smit", {}, "12345678", "000124", datetime.date(2021, 6, 1)),
    ("anna.kowalski", "Anna Kowalski", {}, "12345678", "000200", datetime.date(2023, 1, 9)),
    ("tim.visser", "Tim Visser", {}, "87654321", "0042", datetime.date(2018, 4, 3)),
    ("lotte.mulder", "Lotte Mulder", {}, "87654321", "0077", datetime.date(2022, 8, 15)),
    ("ahmet.kaya", "Ahmet Kaya", {}, "87654321", "0103", datetime.date(2024, 2, 1)),
]

PROVIDER = {
    "name": "Vakschool Noord",
    "kvk_number": "11223344",
    "quality_mark": "NRTO",
    "website": "https://vakschool-noord.example",
    "street": "Vismarkt",
    "house_number": "4",
    "postcode": "9712 CA",
    "city": "Groningen",
    "contact_name": "Kees Bakker",
    "contact_phone": "050 123 4567",
    "iban": "NL91ABNA0417164300",  # the well-known valid test IBAN (ABN AMRO)
    "bic": "ABNANL2A",
}

# A provider that registered itself and awaits a coordinator's approval, with its CRKBO proof.
PENDING_PROVIDER = {
    "name": "Leerhuis Zuid",
    "kvk_number": "55667788",
    "quality_mark": "CRKBO-registratie",
    "street": "Markt",
    "house_number": "10",
    "postcode": "5611 EB",
    "city": "Eindhoven",
    "contact_name": "Wim Wachter",
    "contact_phone": "040 123 4567",
    "iban": "NL44RABO0123456789",
    "bic": "RABONL2U",
}
# The smallest PDF a viewer opens: the demo's "certificate".
DEMO_PROOF_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

COURSES = [
    (
        "Heftruckcertificaat",
        "Leer veilig werken met de heftruck. Met praktijkexamen.",
        "450.00",
        "on_site",
        "Zwolle",
        16,
        60,
    ),
    (
        "Basiscursus lassen",
        "Leer lassen met MIG/MAG. Voor beginners, veel oefenen in de werkplaats.",
        "895.00",
        "on_site",
        "Groningen",
        40,
        90,
    ),
    (
        "Digitale vaardigheden op het werk",
        "Werken met e-mail, roosters en apps. In je eigen tempo.",
        "195.00",
        "online",
        "",
        12,
        30,
    ),
    (
        "Nederlands op de werkvloer",
        "Beter Nederlands spreken en schrijven op je werk.",
        "650.00",
        "mixed",
        "Assen",
        30,
        45,
    ),
    (
        "Leidinggeven aan een team",
        "Voor wie een team gaat leiden: gesprekken voeren en plannen.",
        "1250.00",
        "mixed",
        "Zwolle",
        24,
        120,
    ),
]


def _seed_pending_provider(manager: User) -> Provider:
    pending, _ = Provider.objects.update_or_create(
        kvk_number=PENDING_PROVIDER["kvk_number"],
        defaults={**PENDING_PROVIDER, "approved_at": None, "approved_by": None},
    )
    if pending.terms_accepted_at is None:
        pending.terms_accepted_at = timezone.now()
        pending.save(update_fields=["terms_accepted_at"])
    ProviderMembership.objects.update_or_create(
        user=manager, provider=pending, defaults={"role": ProviderMembership.Role.MANAGER}
    )
    if not pending.quality_marks.exists():
        mark = ProviderQualityMark(
            provider=pending,
            mark=ProviderQualityMark.Mark.CRKBO,
            proof_name="crkbo-registratie.pdf",
            proof_content_type="application/pdf",
        )
        mark.proof.save("proof.pdf", ContentFile(DEMO_PROOF_PDF), save=False)
        mark.save()
    return pending


def email_for(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


@transaction.atomic
def seed_demo() -> dict[str, int]:
    today = timezone.localdate()
    sectors = {}
    for name, code in SECTORS:
        sectors[code], _ = Sector.objects.update_or_create(code=code, defaults={"name": name})

    employers = {}
    for spec in EMPLOYERS:
        employers[spec["kvk_number"]], _ = Employer.objects.update_or_create(
            kvk_number=spec["kvk_number"],
            defaults={"name": spec["name"], "sector": sectors[spec["sector"]]},
        )

    users = {}
    for local, name, flags, kvk, number, start in PEOPLE:
        defaults = {
            "full_name": name,
            "is_worker": True,
            "is_ambassador": False,
            "is_coordinator": False,
            "is_staff": False,
            "is_active": True,
            **flags,
        }
        user, _ = User.objects.update_or_create(email=email_for(local), defaults=defaults)
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        users[local] = user
        if kvk:
            Employment.objects.update_or_create(
                worker=user,
                employer=employers[kvk],
                start_date=start,
                defaults={"employee_number": number, "end_date": None},
            )

    EmployerMembership.objects.get_or_create(
        user=users["werkgever"], employer=employers["12345678"]
    )

    provider, _ = Provider.objects.update_or_create(
        kvk_number=PROVIDER["kvk_number"],
        defaults={**PROVIDER, "approved_by": users["beheer"]},
    )
    if provider.approved_at is None:
        provider.approved_at = timezone.now()
        provider.save(update_fields=["approved_at"])
    ProviderMembership.objects.update_or_create(
        user=users["opleider"],
        provider=provider,
        defaults={"role": ProviderMembership.Role.MANAGER},
    )
    _seed_pending_provider(users["opleider-aanmelding"])

    for title, description, price, fmt, location, hours, days_ahead in COURSES:
        course = Course.objects.filter(provider=provider, title=title).first() or Course(
            provider=provider, title=title, start_date=today + datetime.timedelta(days=days_ahead)
        )
        course.description = description
        course.price = Decimal(price)
        course.format = fmt
        course.location = location
        course.duration_hours = hours
        course.capacity = 12
        course.approved_by = users["beheer"]
        course.approved_at = course.approved_at or timezone.now()
        course.save()

    from leerrekening.demo import seed_pending_course

    seed_pending_course(provider_kvk=provider.kvk_number)  # waits in the coordinators' queue

    from ambassadeurs.demo import seed_ambassadeurs_demo

    seed_ambassadeurs_demo()

    from leerrekening.demo import seed_ledger_demo

    seed_ledger_demo()

    from accounts.demo import seed_demo_mfa

    seed_demo_mfa()

    return {
        "users": len(users),
        "employers": len(employers),
        "courses": Course.objects.filter(provider=provider).count(),
    }
