"""The dashboard's balance over the last year: right per day, cached while no money moves, never
stale once it does, and still there when the cache is down."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leerrekening import ledger
from leerrekening.selectors_portal import BalancePoint, balance_over_time
from tests import factories
from tests.support.funding import fund

pytestmark = pytest.mark.django_db
D = Decimal
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


def at(days_ago: int):
    return time_machine.travel(NOW - datetime.timedelta(days=days_ago), tick=False)


@pytest.fixture
def history(alice):
    """alice: EUR 100 two years ago (before the window), EUR 300 ten days ago, EUR 50 reserved
    three days ago; today is NOW."""
    with at(730):
        fund("100.00", worker=alice)
    with at(10):
        fund("300.00", worker=alice)
    with at(3):
        ledger.reservation_create(
            worker=alice,
            provider=factories.ProviderFactory(),
            amount=D("50.00"),
            idempotency_key="chart-r",
        )
    return alice


def test_the_balance_is_given_at_the_end_of_each_day_with_a_movement_and_today(history):
    with at(0):
        points = balance_over_time(worker=history)
    today = timezone.localdate(NOW)
    assert points == [
        BalancePoint(day=today - datetime.timedelta(days=10), balance=D("400.00")),
        BalancePoint(day=today - datetime.timedelta(days=3), balance=D("350.00")),
        BalancePoint(day=today, balance=D("350.00")),
    ]


def test_a_worker_without_an_account_has_no_points(bob):
    assert balance_over_time(worker=bob) == []


def test_a_reload_without_new_money_reads_the_chart_from_the_cache(history):
    with at(0):
        first = balance_over_time(worker=history)
        with CaptureQueriesContext(connection) as captured:
            again = balance_over_time(worker=history)
    assert again == first
    assert len(captured) == 1  # the account's version only; no transfers read


def test_money_that_moves_shows_in_the_chart_at_once(history):
    with at(0):
        balance_over_time(worker=history)  # cached
        fund("25.00", worker=history)
        points = balance_over_time(worker=history)
    assert points[-1] == BalancePoint(day=timezone.localdate(NOW), balance=D("375.00"))


@pytest.mark.django_db(transaction=True)
def test_money_moved_in_another_request_shows_in_the_chart_at_once(alice):
    """A transfer committed by another connection (another request, a Celery worker) changes
    the account's version, so the cached chart is not used again."""
    import threading

    from django.db import connections

    fund("100.00", worker=alice)
    before = balance_over_time(worker=alice)

    def deposit_elsewhere():
        try:
            fund("40.00", worker=alice)
        finally:
            connections.close_all()

    thread = threading.Thread(target=deposit_elsewhere)
    thread.start()
    thread.join()
    after = balance_over_time(worker=alice)
    assert before[-1].balance == D("100.00")
    assert after[-1].balance == D("140.00")


def test_a_new_day_starts_a_new_chart(history):
    with at(0):
        balance_over_time(worker=history)
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        points = balance_over_time(worker=history)
    assert points[-1].day == timezone.localdate(NOW) + datetime.timedelta(days=1)


def test_the_chart_is_computed_when_the_cache_is_down(history, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis down")

    backend = type(caches["default"])
    monkeypatch.setattr(backend, "get", unreachable)
    monkeypatch.setattr(backend, "set", unreachable)
    with at(0):
        points = balance_over_time(worker=history)
    assert points[-1].balance == D("350.00")


def test_the_dashboard_shows_the_chart_and_its_table(client, history):
    client.force_login(history)
    with at(0):
        body = client.get("/mijn-leerrekening/").content.decode()
    assert 'class="chart-line"' in body
    assert "€ 400,00" in body  # the table beside the chart
