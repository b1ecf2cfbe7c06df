"""The admin in Chromium, as the demo employer and the demo coordinator use it: the start pages
show their figures, and axe-core finds no serious or critical violation on the start pages, the
lists and the forms they work with (the admin is used at a desk: a desktop viewport)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Employment, User
from leerportaal.demo import seed_demo
from leerrekening.models import DepositBatch, DepositScheme, Funder, LedgerCheckRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EMPLOYER = "werkgever@demo.leerportaal.nl"
COORDINATOR = "beheer@demo.leerportaal.nl"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def desk_page(phone_page):
    return phone_page(**DESKTOP)


def blocking_violations(axe_check, page) -> str:
    """axe's serious and critical violations on the page, as text ("" when there are none)."""
    try:
        axe_check(page)
    except AssertionError as failure:
        return str(failure)
    return ""


def visit_all(page, base: str, paths: list[str], axe_check) -> None:
    """Open every page, check each with axe, and report all pages that fail at once."""
    failures = []
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, f"{path}: {response.status}"
        found = blocking_violations(axe_check, page)
        if found:
            failures.append(found)
    assert not failures, "\n\n".join(failures)


def test_employer_start_page_lists_and_forms_are_accessible(
    live_server, login, phone_page, axe_check
):
    seed_demo()
    hr = User.objects.get(email=EMPLOYER)
    funder = Funder.objects.get(employer__memberships__user=hr)
    scheme = DepositScheme.objects.filter(funder=funder).first()
    employment = Employment.objects.filter(employer=funder.employer).first()
    batch = DepositBatch.objects.filter(funder=funder).first()
    page = login(desk_page(phone_page), EMPLOYER)

    page.goto(live_server.url + "/admin/")
    dashboard = page.locator("#funder-dashboard")
    assert dashboard.get_by_role("heading", name="Prepaid-saldo").is_visible()
    assert dashboard.get_by_role("img", name="Stortingen in").is_visible()
    assert dashboard.get_by_role("heading", name="Volgende run van de regelingen").is_visible()
    assert page.locator("#content-main").get_by_role("link", name="Dienstverbanden").is_visible()

    paths = [
        "/admin/",
        reverse("admin:accounts_employment_changelist"),
        reverse("admin:accounts_employment_change", args=[employment.pk]),
        reverse("admin:accounts_employment_import"),
        reverse("admin:accounts_employer_changelist"),
        reverse("admin:accounts_apikey_changelist"),
        reverse("admin:accounts_apikey_add"),
        reverse("admin:leerrekening_funder_changelist"),
        reverse("admin:leerrekening_funder_change", args=[funder.pk]),
        reverse("admin:leerrekening_depositbatch_changelist"),
        reverse("admin:leerrekening_depositbatch_upload"),
        reverse("admin:leerrekening_depositbatch_single"),
        reverse("admin:leerrekening_depositbatchline_changelist"),
        reverse("admin:leerrekening_depositscheme_changelist"),
        reverse("admin:leerrekening_depositscheme_add"),
        reverse("admin:leerrekening_takeoverbatch_changelist"),
    ]
    if scheme is not None:
        paths.append(reverse("admin:leerrekening_depositscheme_change", args=[scheme.pk]))
    if batch is not None:
        paths.append(reverse("admin:leerrekening_depositbatch_change", args=[batch.pk]))
    visit_all(page, live_server.url, paths, axe_check)

    # The intermediate page of the action "Dienstverband beëindigen" (end date, confirmation).
    page.goto(live_server.url + reverse("admin:accounts_employment_changelist"))
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("end_employments")
    page.locator("button[name=index]").click()
    page.wait_for_load_state()
    assert page.locator("input[name=end_date], input[type=date]").count() >= 1
    assert not blocking_violations(axe_check, page)


def test_a_running_batch_shows_its_progress_on_the_start_page_in_the_dark_theme(
    live_server, login, phone_page, axe_check
):
    seed_demo()
    hr = User.objects.get(email=EMPLOYER)
    funder = Funder.objects.get(employer__memberships__user=hr)
    running = DepositBatch.objects.create(
        kind=DepositBatch.Kind.SINGLE,
        status=DepositBatch.Status.RUNNING,
        funder=funder,
        employer=funder.employer,
        deposit_date=DepositBatch.objects.filter(funder=funder).first().deposit_date,
        at_end="return",
        line_count=4,
        total=Decimal("400.00"),
        lines_applied=3,
        amount_applied=Decimal("300.00"),
    )
    # In the admin's dark theme too (the browser asks for it).
    page = login(phone_page(**DESKTOP, color_scheme="dark"), EMPLOYER)
    page.goto(live_server.url + "/admin/")
    bar = page.get_by_role("progressbar", name=f"Voortgang van Batch {running.pk}")
    assert bar.get_attribute("value") == "75"
    assert page.get_by_test_id(f"running-batch-{running.pk}").inner_text().count("75%") == 1
    assert not blocking_violations(axe_check, page)


def test_coordinator_start_page_lists_and_forms_are_accessible(
    live_server, login, phone_page, axe_check
):
    seed_demo()
    LedgerCheckRun.objects.create(ok=True, checked=9, broken=[])
    funder = Funder.objects.order_by("pk").first()
    employer_staff = User.objects.get(email=EMPLOYER)
    page = login(desk_page(phone_page), COORDINATOR)

    page.goto(live_server.url + "/admin/")
    dashboard = page.locator("#coordinator-dashboard")
    assert dashboard.get_by_test_id("ledger-ok").is_visible()
    assert dashboard.get_by_role("link", name="Naar de catalogus").first.is_visible()

    paths = [
        "/admin/",
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[employer_staff.pk]),
        reverse("admin:accounts_employer_changelist"),
        reverse("admin:accounts_employer_add"),
        reverse("admin:accounts_employment_changelist"),
        reverse("admin:accounts_employment_add"),
        reverse("admin:leerrekening_funder_changelist"),
        reverse("admin:leerrekening_funder_change", args=[funder.pk]),
        reverse("admin:leerrekening_funder_funding", args=[funder.pk]),
        reverse("admin:leerrekening_depositbatch_changelist"),
        reverse("admin:leerrekening_depositbatch_single"),
        reverse("admin:leerrekening_takeoverbatch_add"),
        reverse("admin:leerrekening_ledgeraccount_changelist"),
        reverse("admin:leerrekening_transfer_changelist"),
        reverse("leerrekening:coordinator-catalogue"),
        reverse("leerrekening:coordinator-bookings"),
    ]
    visit_all(page, live_server.url, paths, axe_check)
