"""End to end in Chromium: a worker asks for a talk, the ambassador claims it and logs it on a phone,
the worker sees the conversation linked to them. Every page is checked with axe-core on the way."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from ambassadeurs.models import Conversation
from leerportaal.demo import seed_demo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER = "werkende@demo.leerportaal.nl"
AMBASSADOR = "ambassadeur@demo.leerportaal.nl"
COORDINATOR = "beheer@demo.leerportaal.nl"
MESSAGE = "Ik wil graag praten over wat ik later wil worden."
NOTES = "Sanne wil de heftruck op; volgende week het aanbod bekijken."


def test_worker_asks_ambassador_claims_and_logs_on_a_phone_worker_sees_it_linked(
    live_server, login, phone_page, axe_check, assert_fits_the_screen
):
    seed_demo()
    base = live_server.url

    # The worker asks for a talk.
    worker = login(phone_page(), WORKER)
    worker.get_by_role("link", name="Leerambassadeur spreken").click()
    worker.wait_for_url(f"{base}/gesprek/")
    assert worker.get_by_text("Mohamed El Amrani").is_visible()
    axe_check(worker)
    assert_fits_the_screen(worker)
    worker.get_by_role("link", name="Vraag een gesprek aan").click()
    axe_check(worker)
    assert_fits_the_screen(worker)
    worker.get_by_label("Loopbaan", exact=True).check()
    worker.get_by_label("Telefoon", exact=True).check()
    worker.locator("#id_message").fill(MESSAGE)
    worker.get_by_role("button", name="Verstuur mijn vraag").click()
    worker.wait_for_url(f"{base}/gesprek/")
    assert worker.get_by_text("Je vraag is verstuurd").is_visible()
    assert worker.get_by_text("Wacht op een leerambassadeur").is_visible()

    # The ambassador, on a 360 px phone, claims it.
    ambassador = login(phone_page(), AMBASSADOR)
    ambassador.goto(f"{base}/ambassadeur/")
    axe_check(ambassador)
    assert_fits_the_screen(ambassador)
    open_requests = ambassador.get_by_role("region", name="Open hulpvragen")
    # Who asked is not shown before the request is claimed (as in the API).
    assert open_requests.get_by_text("Sanne de Vries").count() == 0
    open_requests.get_by_role("link", name="Loopbaan").first.click()
    assert ambassador.get_by_text(MESSAGE).is_visible()
    axe_check(ambassador)
    ambassador.get_by_role("button", name="Ik pak deze vraag op").click()
    assert ambassador.get_by_text("Je hebt de vraag opgepakt").is_visible()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [WORKER]

    # ... and logs the conversation on the one short form.
    ambassador.get_by_role("link", name="Gesprek vastleggen").click()
    axe_check(ambassador)
    assert_fits_the_screen(ambassador)
    assert ambassador.get_by_label("Loopbaan", exact=True).is_checked()  # from the request
    ambassador.locator("#id_duration_minutes").fill("35")
    ambassador.get_by_label("Opleiding kiezen", exact=True).check()
    ambassador.get_by_label("Vervolggesprek gepland", exact=True).check()
    follow_up = timezone.localdate() + datetime.timedelta(days=7)
    ambassador.locator("#id_follow_up_on").fill(follow_up.isoformat())
    ambassador.locator("#id_private_notes").fill(NOTES)
    submit = ambassador.get_by_role("button", name="Opslaan")
    box = submit.bounding_box()
    assert box["height"] >= 44
    assert box["width"] >= 44
    submit.click()
    assert ambassador.get_by_text("Het gesprek is vastgelegd.").is_visible()
    assert ambassador.get_by_text(NOTES).is_visible()
    axe_check(ambassador)
    assert_fits_the_screen(ambassador)

    conversation = Conversation.objects.get(private_notes=NOTES)
    assert conversation.worker.email == WORKER
    assert conversation.duration_minutes == 35

    # The worker sees it linked, without the ambassador's private notes.
    worker.goto(f"{base}/gesprek/")
    assert worker.get_by_text("Mohamed El Amrani neemt contact met je op").count() == 0
    link = worker.get_by_role("link", name=re.compile("met Mohamed El Amrani"))
    link.click()
    assert worker.get_by_text("Opleiding kiezen").is_visible()
    assert NOTES not in worker.content()
    axe_check(worker)
    assert_fits_the_screen(worker)


def test_ambassador_and_coordinator_pages_have_no_serious_accessibility_violations(
    live_server, login, phone_page, axe_check, assert_fits_the_screen
):
    seed_demo()
    base = live_server.url
    ambassador = login(phone_page(), AMBASSADOR)
    for path in ["/ambassadeur/", "/ambassadeur/gesprekken/", "/ambassadeur/gesprekken/nieuw/"]:
        ambassador.goto(base + path)
        axe_check(ambassador)
        assert_fits_the_screen(ambassador)
    ambassador.get_by_role("button", name="Opslaan").click()  # an empty form shows its errors
    assert ambassador.get_by_text("Kies minstens één onderwerp.").is_visible()
    axe_check(ambassador)

    coordinator = login(phone_page(), COORDINATOR)
    coordinator.goto(base + "/beheer/gesprekken/")
    assert coordinator.get_by_role("heading", name="Gesprekken in cijfers").is_visible()
    assert "Mohamed" not in coordinator.content()
    axe_check(coordinator)
    assert_fits_the_screen(coordinator)
