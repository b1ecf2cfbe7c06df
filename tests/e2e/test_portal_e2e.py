"""End to end in Chromium on a 360 px phone: the demo worker searches a course, books it (the
available balance drops), cancels it (it returns), books again; the provider declares the start
and sees the payment. Every worker page is checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from leerportaal.demo import seed_demo
from leerrekening import ledger
from leerrekening.ledger_check import run_checks
from leerrekening.models import Booking, Course, Funder, LedgerAccount

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER = "werkende@demo.leerportaal.nl"
PROVIDER = "opleider@demo.leerportaal.nl"


def give_the_demo_worker_a_budget() -> Decimal:
    """The deposits engineer's demo gives about EUR 1,500; without it, deposit that here."""
    worker = User.objects.get(email=WORKER)
    account = LedgerAccount.objects.filter(worker=worker).first()
    if account is None or account.balance < Decimal("1000"):
        employer = worker.employments.get().employer
        funder = Funder.objects.filter(employer=employer).first() or Funder.objects.create(
            name=employer.name, kind="employer", employer=employer
        )
        ledger.funding_record(funder=funder, amount=Decimal("1500"), idempotency_key="e2e-fund")
        ledger.deposit_create(
            funder=funder,
            worker=worker,
            amount=Decimal("1500"),
            idempotency_key="e2e-deposit",
            ends_on=timezone.localdate() + datetime.timedelta(days=60),
        )
    return LedgerAccount.objects.get(worker=worker).balance


def euro(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    return f"€ {int(whole):,}".replace(",", ".") + f",{cents}"


def checked(page, axe_check, assert_fits_the_screen):
    axe_check(page)
    assert_fits_the_screen(page)
    # A full-page screenshot is as wide as the page's content: 360 px means no sideways scrolling.
    png = page.screenshot(full_page=True)
    assert int.from_bytes(png[16:20], "big") == 360, f"{page.url} screenshot wider than 360 px"


def test_worker_books_cancels_and_books_again_provider_declares_start_and_is_paid(
    live_server, login, phone_page, axe_check, assert_fits_the_screen
):
    seed_demo()
    start_balance = give_the_demo_worker_a_budget()
    base = live_server.url
    course = Course.objects.get(title="Basiscursus lassen")
    price = course.price

    worker = login(phone_page(), WORKER)
    worker.goto(f"{base}/mijn-leerrekening/")
    assert (
        worker.get_by_test_id("available")
        .inner_text()
        .endswith(f"{euro(start_balance)} te besteden")
    )
    checked(worker, axe_check, assert_fits_the_screen)

    # Search and open the course.
    worker.get_by_role("link", name="Opleidingen", exact=True).first.click()
    checked(worker, axe_check, assert_fits_the_screen)
    worker.get_by_label("Zoek een opleiding").fill("lassen")
    worker.get_by_role("button", name="Zoeken").click()
    worker.get_by_role("link", name="Basiscursus lassen").click()
    checked(worker, axe_check, assert_fits_the_screen)

    # Book it, confirming with the password.
    worker.get_by_role("link", name="Boek deze opleiding").click()
    checked(worker, axe_check, assert_fits_the_screen)
    worker.get_by_label("Ja, het gaat over mijn werk of loopbaan").check()
    worker.get_by_label("Met mijn wachtwoord").check()
    worker.get_by_label("Je wachtwoord").fill("Leerportaal-demo-2026")
    submit = worker.get_by_role("button", name="Boek en reserveer het geld")
    box = submit.bounding_box()
    assert box["height"] >= 44
    submit.click()
    assert worker.get_by_text("Je hebt Basiscursus lassen geboekt").is_visible()
    checked(worker, axe_check, assert_fits_the_screen)

    # The available balance dropped by the price.
    worker.goto(f"{base}/mijn-leerrekening/")
    assert (
        f"{euro(start_balance - price)} te besteden"
        in worker.get_by_test_id("available").inner_text()
    )
    checked(worker, axe_check, assert_fits_the_screen)

    # My bookings: cancel; the money returns in full.
    worker.get_by_role("link", name="Mijn boekingen").first.click()
    checked(worker, axe_check, assert_fits_the_screen)
    worker.get_by_role("link", name="Basiscursus lassen").click()
    checked(worker, axe_check, assert_fits_the_screen)
    worker.get_by_role("button", name="Annuleer deze boeking").click()
    assert worker.get_by_text("Je boeking is geannuleerd").is_visible()
    worker.goto(f"{base}/mijn-leerrekening/")
    assert f"{euro(start_balance)} te besteden" in worker.get_by_test_id("available").inner_text()

    # The other worker pages pass axe and fit the phone too.
    for path in [
        "/mijn-leerrekening/geschiedenis/",
        "/mijn-leerrekening/berichten/",
        "/mijn-leerrekening/mijn-gegevens/",
        "/wie-ziet-wat/",
        "/opleidingen/?q=heftuck",
    ]:
        worker.goto(base + path)
        checked(worker, axe_check, assert_fits_the_screen)

    # The course starts tomorrow; the worker books again, this time with a code by e-mail.
    Course.objects.filter(pk=course.pk).update(
        start_date=timezone.localdate() + datetime.timedelta(days=1)
    )
    from django.core import mail

    worker.goto(f"{base}/opleidingen/{course.pk}/boeken/")
    worker.get_by_role("button", name="Stuur mij een code per e-mail").click()
    assert worker.get_by_text("We hebben een code gestuurd").is_visible()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    worker.get_by_label("Ja, het gaat over mijn werk of loopbaan").check()
    worker.get_by_label("Met een code per e-mail").check()
    worker.get_by_label("De code uit je e-mail").fill(code)
    worker.get_by_role("button", name="Boek en reserveer het geld").click()
    assert worker.get_by_text("Je hebt Basiscursus lassen geboekt").is_visible()
    booking = Booking.objects.get(course=course, status="reserved")
    worker.goto(f"{base}/mijn-leerrekening/boekingen/{booking.pk}/dit-was-ik-niet/")
    checked(worker, axe_check, assert_fits_the_screen)

    # The start date arrives (money reaches a provider no earlier than that): the provider
    # declares the start and sees the payment.
    Course.objects.filter(pk=course.pk).update(start_date=timezone.localdate())
    provider = login(phone_page(), PROVIDER)
    provider.goto(f"{base}/opleider/")
    checked(provider, axe_check, assert_fits_the_screen)
    provider.get_by_role("link", name="Basiscursus lassen").click()
    checked(provider, axe_check, assert_fits_the_screen)
    provider.get_by_role("button", name="Meld start van Sanne de Vries").click()
    assert provider.get_by_text("De start is gemeld").is_visible()
    provider.goto(f"{base}/opleider/")
    assert provider.get_by_test_id("payable").inner_text() == euro(price)

    booking.refresh_from_db()
    assert booking.status == "started"
    worker.goto(f"{base}/mijn-leerrekening/")
    assert (
        f"{euro(start_balance - price)} te besteden"
        in worker.get_by_test_id("available").inner_text()
    )
    assert worker.get_by_text("Vakschool Noord is betaald voor Basiscursus lassen").is_visible()
    assert [r.name for r in run_checks() if not r.ok] == []
