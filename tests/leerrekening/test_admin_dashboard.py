"""The admin's start page: a funder's staff see their own organisation's figures (balance,
deposits per month, running batches, next scheme run, uptake with small groups hidden) and
nothing of another funder or of one worker; coordinators see ledger health and what waits for
them. The number of queries does not grow with the history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from leerrekening import ledger
from leerrekening.bookings import services as booking_services
from leerrekening.deposits import applying
from leerrekening.deposits import services as deposits
from leerrekening.deposits.selectors import funder_uptake_by_quarter, uptake_may_be_shown
from leerrekening.models import DepositBatch, DepositScheme, LedgerCheckRun
from leerrekening.selectors_dashboard import (
    coordinator_dashboard,
    deposits_chart,
    funder_dashboard_for,
    next_run_of_schemes,
    next_scheme_run_at,
)
from tests import factories
from tests.support.deposits import roster, run_schemes, upload
from tests.support.funding import fund

pytestmark = pytest.mark.django_db
D = Decimal
AMSTERDAM = datetime.timezone(datetime.timedelta(hours=1))  # CET, no summer time in March
INDEX = "/admin/"


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    """Batches are applied in-process by the tests, never sent to a broker."""
    calls: list[int] = []
    monkeypatch.setattr(
        applying.DEPOSIT_BATCHES, "enqueue", lambda batch_id: calls.append(batch_id) or True
    )
    return calls


@pytest.fixture
def acme_funder(acme):
    return fund("5000.00", employer=acme)


@pytest.fixture
def bouw_funder(bouw):
    return fund("9000.00", employer=bouw)


@pytest.fixture
def sector_fund(acme):
    fund = factories.FunderFactory(kind="sector_fund", employer=None, sector=acme.sector)
    ledger.funding_record(funder=fund, amount=D("70000.00"), idempotency_key="fund:sector")
    return fund


_keys = iter(range(10**6))


def deposit(funder, worker, amount: str):
    return ledger.deposit_create(
        funder=funder, worker=worker, amount=D(amount), idempotency_key=f"dash-{next(_keys)}"
    )


def spend(worker, provider, amount: str):
    return ledger.reservation_create(
        worker=worker, provider=provider, amount=D(amount), idempotency_key=f"spend-{next(_keys)}"
    )


def start_page(client, user) -> str:
    client.force_login(user)
    response = client.get(INDEX)
    assert response.status_code == 200
    return response.content.decode()


# --- What an employer sees, and what not ---------------------------------------------------------


def test_employer_sees_its_own_balance_and_deposits_not_another_employers_nor_a_funds(
    client, hanna, alice, bob, acme_funder, bouw_funder, sector_fund
):
    deposit(acme_funder, alice, "80.00")
    deposit(bouw_funder, bob, "321.00")
    deposit(sector_fund, alice, "750.00")
    page = start_page(client, hanna)

    assert 'id="funder-dashboard"' in page
    assert "€ 5.000,00" not in page
    assert "€ 4.920,00" in page
    assert "In totaal € 80,00 in 1 storting." in page
    for foreign in [bouw_funder.name, "8.679,00", "321,00", sector_fund.name, "750,00"]:
        assert foreign not in page
    # Nothing about one worker: not alice's name, nor her balance.
    assert alice.full_name not in page
    assert "830,00" not in page
    # The model list is still there to navigate by.
    assert reverse("admin:accounts_employment_changelist") in page
    assert 'id="coordinator-dashboard"' not in page


def test_the_dashboard_is_only_for_staff_of_a_funder(client, alice, acme_funder, carla):
    assert funder_dashboard_for(alice) is None
    assert funder_dashboard_for(carla) is None  # coordinators get their own page
    client.force_login(alice)
    response = client.get(INDEX)
    assert response.status_code == 302
    assert "funder-dashboard" not in response.content.decode()
    client.logout()
    assert client.get(INDEX).status_code == 302


def test_deposits_this_year_per_month_in_local_months_only_this_funders(
    alice, bob, acme_funder, bouw_funder
):
    with time_machine.travel(datetime.datetime(2025, 12, 31, 12, tzinfo=datetime.UTC)):
        deposit(acme_funder, alice, "10.00")  # last year
    # 31 January 23:30 UTC is 1 February 00:30 in Amsterdam: a February deposit.
    with time_machine.travel(datetime.datetime(2026, 1, 31, 23, 30, tzinfo=datetime.UTC)):
        deposit(acme_funder, alice, "100.00")
        deposit(acme_funder, bob, "50.00")
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC)):
        deposit(acme_funder, alice, "300.00")
        deposit(bouw_funder, bob, "999.00")

    chart = deposits_chart(funder_ids=[acme_funder.pk], year=2026)

    amounts = {bar.month.month: (bar.amount, bar.count) for bar in chart.bars if bar.count}
    assert amounts == {2: (D("150.00"), 2), 11: (D("300.00"), 1)}
    assert (chart.total, chart.count, chart.top) == (D("450.00"), 3, D("500"))
    assert len(chart.bars) == 12
    november = chart.bars[10]
    assert november.height == pytest.approx((chart.plot_bottom - chart.plot_top) * 0.6, abs=0.1)
    assert november.y + november.height == pytest.approx(chart.plot_bottom)
    assert chart.bars[0].height == 0


def test_the_chart_is_an_svg_with_a_text_alternative_and_no_script(
    client, hanna, alice, acme_funder
):
    deposit(acme_funder, alice, "80.00")
    page = start_page(client, hanna)
    start = page.index('<svg class="deposits-chart"')
    svg = page[start : page.index("</svg>", start)]
    assert 'role="img"' in svg
    assert 'aria-labelledby="start-chart-title start-chart-desc"' in svg
    assert "<title" in svg
    assert "<desc" in svg
    assert "<script" not in svg
    assert svg.count("<rect") == 1  # one month with deposits
    # Coordinates are plain numbers: never localised with a decimal comma.
    rect = svg[svg.index("<rect") : svg.index("/>", svg.index("<rect"))]
    assert "," not in rect
    table = page[page.index('id="start-deposits-table"') :]
    assert "€ 80,00" in table[: table.index("</table>")]


# --- Uptake: at least 5 spent and at least 5 did not ----------------------------------------------


@pytest.fixture
def crafted_roster(acme, acme_funder):
    """`size` workers who each got EUR 100 from Acme, `spenders` of whom booked with it."""
    provider = factories.ProviderFactory()

    def make(size: int, spenders: int):
        first = User.objects.count()
        workers = User.objects.bulk_create(
            [User(email=f"decoy{first + i}@example.nl", full_name="Lokvogel") for i in range(size)]
        )
        for worker in workers:
            deposit(acme_funder, worker, "100.00")
        for worker in workers[:spenders]:
            spend(worker, provider, "40.00")
        return workers

    return make


@pytest.mark.parametrize(
    ("size", "spenders"),
    [(5, 4), (6, 5), (6, 1), (9, 5), (9, 4), (5, 5), (5, 0), (4, 4)],
    ids=[
        "5-of-whom-4-spent",
        "6-of-whom-1-did-not",
        "6-of-whom-1-spent",
        "9-5",
        "9-4",
        "all-5",
        "none-of-5",
        "4-all-spent",
    ],
)
def test_uptake_is_hidden_unless_5_spent_and_5_did_not(
    client, hanna, acme_funder, crafted_roster, size, spenders
):
    crafted_roster(size, spenders)
    (quarter,) = funder_uptake_by_quarter(funder=acme_funder)
    assert quarter.workers == size
    assert quarter.suppressed
    assert quarter.spenders is None
    assert quarter.percent is None
    page = start_page(client, hanna)
    uptake = page[page.index('id="start-uptake"') :]
    assert "verborgen (te kleine groep)" in uptake
    assert "%</td>" not in uptake[: uptake.index("</section>")]


def test_uptake_is_shown_with_5_who_spent_and_5_who_did_not(
    client, hanna, acme_funder, crafted_roster
):
    crafted_roster(10, 5)
    (quarter,) = funder_uptake_by_quarter(funder=acme_funder)
    assert (quarter.workers, quarter.spenders, quarter.percent) == (10, 5, 20)
    page = start_page(client, hanna)
    uptake = page[
        page.index('id="start-uptake"') : page.index("</section>", page.index("start-uptake"))
    ]
    assert "verborgen" not in uptake
    assert "20%" in uptake


def test_a_released_reservation_is_not_spending(acme_funder, crafted_roster):
    """A worker who booked and cancelled did not spend: 5 + 5 is then 4 + 6, hidden."""
    workers = crafted_roster(10, 5)
    reservation = workers[0].learning_account.reservations.get()
    ledger.reservation_void(reservation=reservation, idempotency_key="void-0")
    (quarter,) = funder_uptake_by_quarter(funder=acme_funder)
    assert quarter.suppressed


def test_the_suppression_rule_at_its_edges():
    assert uptake_may_be_shown(workers=10, spenders=5)
    assert not uptake_may_be_shown(workers=9, spenders=5)
    assert not uptake_may_be_shown(workers=9, spenders=4)
    assert not uptake_may_be_shown(workers=100, spenders=4)
    assert not uptake_may_be_shown(workers=100, spenders=96)
    assert uptake_may_be_shown(workers=100, spenders=95)


# --- Running batches ------------------------------------------------------------------------------


def test_a_running_batch_shows_its_progress_and_another_employers_does_not(
    client, hanna, acme, bouw, acme_funder, bouw_funder
):
    roster(acme, 4)
    batch = upload(acme_funder, acme, [f"{n:06d};25,00" for n in range(1, 5)])
    deposits.deposit_batch_confirm(batch=batch, by=None)
    DepositBatch.objects.filter(pk=batch.pk).update(
        status="running", lines_applied=1, amount_applied=D("25.00")
    )
    roster(bouw, 2)
    theirs = upload(bouw_funder, bouw, ["000001;5", "000002;5"])
    deposits.deposit_batch_confirm(batch=theirs, by=None)

    page = start_page(client, hanna)

    item = page[page.index(f'data-testid="running-batch-{batch.pk}"') :]
    item = item[: item.index("</li>")]
    assert '<progress max="100" value="25"' in item
    assert "25%</span>" in item
    assert "1 van 4 regels" in item
    assert "€ 25,00 van € 100,00" in item
    assert f'aria-label="Voortgang van Batch {batch.pk}' in item
    assert f"running-batch-{theirs.pk}" not in page
    # What the running batch will still take is not available for new deposits.
    dashboard = funder_dashboard_for(hanna)
    (balance,) = dashboard.balances
    assert (balance.balance, balance.committed, balance.available) == (
        D("5000.00"),
        D("75.00"),
        D("4925.00"),
    )


def test_a_finished_batch_is_no_longer_in_progress(client, hanna, acme, acme_funder):
    roster(acme, 2)
    batch = upload(acme_funder, acme, ["000001;5", "000002;5"])
    deposits.deposit_batch_confirm(batch=batch, by=None)
    applying.deposit_batch_apply(batch_id=batch.pk)
    page = start_page(client, hanna)
    assert f"running-batch-{batch.pk}" not in page
    assert "Er lopen nu geen batches." in page


# --- The next scheme run ------------------------------------------------------------------------


def _scheme(funder, employer, **kwargs) -> DepositScheme:
    return DepositScheme.objects.create(
        **{
            "name": "CAO leerbudget",
            "funder": funder,
            "employer": employer,
            "amount": D("100.00"),
            "period": "quarter",
            "starts_on": datetime.date(2026, 1, 1),
            **kwargs,
        }
    )


def test_next_run_is_the_next_1_am_in_local_time():
    before = datetime.datetime(2026, 3, 2, 0, 30, tzinfo=AMSTERDAM)
    after = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=AMSTERDAM)
    assert next_scheme_run_at(now=before) == datetime.datetime(2026, 3, 2, 1, 0, tzinfo=AMSTERDAM)
    assert next_scheme_run_at(now=after) == datetime.datetime(2026, 3, 3, 1, 0, tzinfo=AMSTERDAM)


def test_the_next_run_names_the_schemes_it_will_apply_and_when_the_others_deposit(
    client, hanna, acme, bouw, acme_funder, bouw_funder
):
    roster(acme, 2)
    due = _scheme(acme_funder, acme, name="CAO kwartaal")
    later = _scheme(acme_funder, acme, name="Startersbudget", starts_on=datetime.date(2026, 6, 1))
    ended = _scheme(
        acme_funder,
        acme,
        name="Oude regeling",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 6, 1),
    )
    _scheme(acme_funder, acme, name="Uitgezet", active=False)
    _scheme(bouw_funder, bouw, name="Bouw CAO")
    now = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=AMSTERDAM)

    run = next_run_of_schemes(funder_ids=[acme_funder.pk], now=now)

    assert run.at == datetime.datetime(2026, 3, 3, 1, 0, tzinfo=AMSTERDAM)
    by_name = {item.scheme.name: (item.applies_period, item.next_period) for item in run.schemes}
    assert by_name == {
        "CAO kwartaal": (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1)),
        "Startersbudget": (None, datetime.date(2026, 6, 1)),
        "Oude regeling": (None, None),
    }
    assert [item.scheme for item in run.applying] == [due]

    with time_machine.travel(now, tick=False):
        page = start_page(client, hanna)
    assert "De volgende keer is dinsdag 3 maart 2026, 01:00." in page
    assert f'data-testid="scheme-applies-{due.pk}"' in page
    assert f'data-testid="scheme-applies-{later.pk}"' not in page
    assert f'data-testid="scheme-applies-{ended.pk}"' not in page
    assert "vanaf 1 juni 2026" in page
    assert "Bouw CAO" not in page
    assert "Uitgezet" not in page

    # Once the quarter's batch exists, the next run deposits nothing for it until April.
    run_schemes(datetime.date(2026, 3, 2))
    run = next_run_of_schemes(funder_ids=[acme_funder.pk], now=now)
    assert run.applying == []
    assert {i.scheme.name: i.next_period for i in run.schemes}["CAO kwartaal"] == datetime.date(
        2026, 4, 1
    )


def test_without_active_schemes_the_page_says_so(client, hanna, acme_funder):
    page = start_page(client, hanna)
    assert "Er zijn geen actieve regelingen." in page


# --- The coordinator -------------------------------------------------------------------------------


def test_coordinator_ledger_health_never_run(client, carla):
    assert coordinator_dashboard().ledger.state == "never"
    page = start_page(client, carla)
    assert 'data-testid="ledger-never"' in page
    assert "heeft nog nooit gedraaid" in page
    assert 'id="funder-dashboard"' not in page


def test_coordinator_ledger_health_ok_then_stale_after_two_hours(client, carla):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        LedgerCheckRun.objects.create(ok=True, checked=9, broken=[])
        assert coordinator_dashboard().ledger.state == "ok"
        assert 'data-testid="ledger-ok"' in start_page(client, carla)
    at = datetime.datetime(2026, 3, 2, 11, 0, 1, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        assert coordinator_dashboard().ledger.state == "stale"
        page = start_page(client, carla)
    assert 'data-testid="ledger-stale"' in page
    assert "langer dan 2 uur geleden" in page


def test_coordinator_sees_a_broken_ledger_check_with_the_broken_invariants(client, carla):
    LedgerCheckRun.objects.create(ok=True, checked=9, broken=[])
    LedgerCheckRun.objects.create(ok=False, checked=9, broken=["balances_sum_to_zero"])
    assert coordinator_dashboard().ledger.state == "broken"
    page = start_page(client, carla)
    assert 'data-testid="ledger-broken"' in page
    assert "<code>balances_sum_to_zero</code>" in page
    assert 'data-testid="ledger-ok"' not in page


def test_coordinator_sees_pending_approvals_and_frozen_bookings(client, carla, alice, acme):
    pending_provider = factories.ProviderFactory(approved_at=None)
    factories.CourseFactory(provider=pending_provider, approved_at=None)
    approved = factories.ProviderFactory()
    factories.CourseFactory(provider=approved, approved_at=None)
    course = factories.CourseFactory(provider=approved, price=D("40.00"))
    deposit(fund("1000.00", employer=acme), alice, "100.00")
    booking = booking_services.booking_create(
        worker=alice, course=course, work_related=True, pays_rest_self=False, request_token="t"
    )
    booking_services.booking_freeze(booking=booking, by=alice, reason="niet ik")

    dashboard = coordinator_dashboard()
    assert (dashboard.providers_pending, dashboard.courses_pending) == (1, 2)
    assert dashboard.frozen_bookings == 1
    assert dashboard.oldest_frozen_at is not None
    assert dashboard.unmatched_bank_items is None  # bank statements are not imported yet

    page = start_page(client, carla)

    def figure(testid: str) -> str:
        row = page[page.index(f'data-testid="{testid}"') :]
        return row[row.index('<td class="num">') + 16 : row.index("</td>")]

    assert figure("providers-pending") == "1"
    assert figure("courses-pending") == "2"
    assert figure("frozen-bookings") == "1"
    assert reverse("leerrekening:coordinator-catalogue") in page
    assert reverse("leerrekening:coordinator-bookings") in page
    assert "unmatched-bank-items" not in page
    assert "niet ik" not in page
    assert alice.full_name not in page


# --- Query counts ------------------------------------------------------------------------------


def test_employer_start_page_queries_do_not_grow_with_history(
    client, hanna, acme, acme_funder, crafted_roster, django_assert_max_num_queries
):
    roster(acme, 1)
    _scheme(acme_funder, acme)
    client.force_login(hanna)
    client.get(INDEX)
    with django_assert_max_num_queries(30) as few:
        client.get(INDEX)

    crafted_roster(12, 6)
    for n in range(3):
        _scheme(acme_funder, acme, name=f"Regeling {n}", period="month")
        batch = upload(acme_funder, acme, ["000001;1,00"])
        deposits.deposit_batch_confirm(batch=batch, by=None)
    run_schemes(timezone.localdate())
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(INDEX).content.decode()
    assert page.count("running-batch-") >= 3


def test_coordinator_start_page_queries_do_not_grow_with_history(
    client, carla, django_assert_max_num_queries
):
    client.force_login(carla)
    client.get(INDEX)
    with django_assert_max_num_queries(30) as few:
        client.get(INDEX)
    for _ in range(5):
        LedgerCheckRun.objects.create(ok=True, checked=9, broken=[])
        provider = factories.ProviderFactory(approved_at=None)
        factories.CourseFactory(provider=provider, approved_at=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(INDEX)


def test_a_malformed_object_address_is_not_found_not_a_server_error(client, hanna, acme_funder):
    """A browser resolving a stylesheet's relative url against the page asked for
    /admin/leerrekening/funder/<id>/change/widgets.css: that is a 404, never a 500."""
    client.force_login(hanna)
    for name in ["funder", "depositbatch", "takeoverbatch"]:
        url = f"/admin/leerrekening/{name}/{acme_funder.pk}x/change/"
        assert client.get(url).status_code in (302, 404)


def test_the_start_pages_speak_english_too(client, hanna, carla, alice, acme_funder):
    deposit(acme_funder, alice, "80.00")
    client.force_login(hanna)
    page = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Prepaid balance" in page
    assert "In total € 80.00 in 1 deposit." in page
    assert "Next run of the schemes" in page
    client.force_login(carla)
    page = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The ledger check has never run." in page
    assert "Providers awaiting approval" in page
