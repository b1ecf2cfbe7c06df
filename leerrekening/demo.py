"""Demo money: funders, incoming payments, a CAO scheme and deposits for the demo workers.

Idempotent: funders are found by employer or name, payments and deposits by fixed idempotency
keys (a deposit whose key exists is left alone, so its date-relative end date never conflicts on
a later day), and the scheme's period batch by (scheme, period). Run twice, same rows.

werkende@demo.leerportaal.nl ends up with EUR 1,500 in three tranches from two funders: EUR 500
from the Versmarkt CAO scheme, EUR 250 extra from Versmarkt, and EUR 750 from the supermarket
sector's O&O-fonds that ends within 90 days (so the portal shows its warning).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Employer, Sector, User
from leerrekening import ledger
from leerrekening.deposits import applying, schemes
from leerrekening.models import Course, DepositScheme, Funder, Provider, Transfer

DEMO_DOMAIN = "demo.leerportaal.nl"
VERSMARKT_KVK = "12345678"
HOEKSTEEN_KVK = "87654321"


def _funder(**lookup_and_defaults) -> Funder:
    employer = lookup_and_defaults.get("employer")
    if employer is not None:
        funder, _ = Funder.objects.update_or_create(
            employer=employer,
            defaults={"name": employer.name, "kind": Funder.Kind.EMPLOYER},
        )
        return funder
    funder, _ = Funder.objects.update_or_create(
        name=lookup_and_defaults["name"],
        defaults={"kind": lookup_and_defaults["kind"], "sector": lookup_and_defaults["sector"]},
    )
    return funder


def _deposit_once(*, key: str, **kwargs) -> None:
    if not Transfer.objects.filter(idempotency_key=key).exists():
        ledger.deposit_create(idempotency_key=key, **kwargs)


@transaction.atomic
def seed_ledger_demo() -> dict[str, int]:
    today = timezone.localdate()
    versmarkt = Employer.objects.get(kvk_number=VERSMARKT_KVK)
    hoeksteen = Employer.objects.get(kvk_number=HOEKSTEEN_KVK)
    supermarkets = Sector.objects.get(code="supermarkten")

    versmarkt_funder = _funder(employer=versmarkt)
    hoeksteen_funder = _funder(employer=hoeksteen)
    fund = _funder(name="O&O-fonds Supermarkten", kind=Funder.Kind.SECTOR_FUND, sector=supermarkets)
    for funder, amount, reference in [
        (versmarkt_funder, "25000.00", "versmarkt-2026-01"),
        (hoeksteen_funder, "10000.00", "hoeksteen-2026-01"),
        (fund, "50000.00", "oo-fonds-2026-01"),
    ]:
        ledger.funding_record(
            funder=funder,
            amount=Decimal(amount),
            idempotency_key=f"demo:funding:{reference}",
            reference=f"bank:{reference}",
        )

    scheme, _ = DepositScheme.objects.update_or_create(
        funder=versmarkt_funder,
        employer=versmarkt,
        name="CAO Supermarkten: leerbudget",
        defaults={
            "amount": Decimal("500.00"),
            "period": DepositScheme.Period.YEAR,
            "starts_on": datetime.date(today.year, 1, 1),
            "valid_years": 5,
            "at_end": "return",
            "source": "cao",
            "active": True,
        },
    )
    period = schemes.period_start_on(scheme=scheme, day=today)
    if period is not None:
        batch = schemes.scheme_period_run(scheme=scheme, period_start=period)
        # Applied here, not left to a worker, so the demo shows money right after seeding.
        applying.deposit_batch_apply(batch_id=batch.pk)

    sanne = User.objects.get(email=f"werkende@{DEMO_DOMAIN}")
    _deposit_once(
        key="demo:deposit:versmarkt-extra:werkende",
        funder=versmarkt_funder,
        worker=sanne,
        amount=Decimal("250.00"),
        source="extra",
        ends_on=None,
        at_end="keep",
        cause="demo",
    )
    _deposit_once(
        key="demo:deposit:oo-fonds:werkende",
        funder=fund,
        worker=sanne,
        amount=Decimal("750.00"),
        source="sector",
        ends_on=today + datetime.timedelta(days=60),
        at_end="return",
        cause="demo",
    )
    for local, amount in [("tim.visser", "300.00"), ("lotte.mulder", "300.00")]:
        _deposit_once(
            key=f"demo:deposit:hoeksteen:{local}",
            funder=hoeksteen_funder,
            worker=User.objects.get(email=f"{local}@{DEMO_DOMAIN}"),
            amount=Decimal(amount),
            source="cao",
            ends_on=today + datetime.timedelta(days=3 * 365),
            at_end="return",
            cause="demo",
        )
    return {"funders": Funder.objects.count()}


PENDING_COURSE = {
    "title": "Heftruckcertificaat (nieuw)",
    "description": "Veilig werken met de heftruck, met praktijkexamen. Wacht op goedkeuring.",
    "price": Decimal("695.00"),
    "format": "on_site",
    "location": "Groningen",
    "duration_hours": 16,
    "capacity": 10,
}


def seed_pending_course(*, provider_kvk: str = "11223344") -> Course:
    """A new course of the demo provider that waits in the coordinators' approval queue.
    Idempotent (found by provider and title); never approved here."""
    provider = Provider.objects.get(kvk_number=provider_kvk)
    course, _ = Course.objects.get_or_create(
        provider=provider,
        title=PENDING_COURSE["title"],
        defaults={
            **PENDING_COURSE,
            "start_date": timezone.localdate() + datetime.timedelta(days=60),
        },
    )
    return course
