"""PostgreSQL crashes in the middle of a booking rush: every connection of the portal is reset
while real threads book through the test server.

Afterwards the books balance (ledger_check), no booking exists without its reservation or the
reverse, a worker who sends the same booking form again after the error page has at most one
booking, the error page is the portal's own 503 (not Django's bare "Server Error (500)"), and
bookings after the crash succeed.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from decimal import Decimal

import psycopg2
import pytest
import requests
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from leerrekening.models import Booking, Reservation
from tests import factories
from tests.support.funding import fund
from tests.support.ledger import assert_invariants_hold

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 6
WORKERS_PER_THREAD = 3
COURSES = 6
RESUBMITS = 20

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="request_token" value="([^"]+)"')


@pytest.fixture
def rush(settings):
    # A cheap password hasher: the rush measures the database crash, not PBKDF2 on 2 cores.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BOOKING_MAX_PENDING_PER_WORKER = COURSES + 1
    funder = factories.FunderFactory(employer=factories.EmployerFactory())
    provider = factories.ProviderFactory()
    courses = [
        factories.CourseFactory(provider=provider, price=Decimal("40.00"), capacity=1000)
        for _ in range(COURSES + 1)
    ]
    workers = [factories.UserFactory() for _ in range(THREADS * WORKERS_PER_THREAD)]
    for worker in workers:
        fund("1000.00", worker=worker, funder=funder)
    return workers, courses


def browser_for(live_server, worker) -> requests.Session:
    """A signed-in worker's browser: the session cookie the portal would have set at login."""
    client = Client()
    client.force_login(worker)
    session = requests.Session()
    session.cookies.set(
        django_settings.SESSION_COOKIE_NAME,
        client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    )
    session.base_url = live_server.url
    return session


class Outcome:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = Counter()
        self.error_pages: list[tuple[int, str, str | None]] = []
        self.unexpected: list[str] = []

    def record(self, response: requests.Response):
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.error_pages.append(
                    (response.status_code, response.text, response.headers.get("Retry-After"))
                )


def refusal_of(response: requests.Response) -> list[str]:
    """The error texts on a form page that came back."""
    return re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]+)', response.text)


def book_through_the_form(browser, course, password, outcome: Outcome) -> str:
    """Open the booking form and send it; after an error page send the same form again, as a
    worker would. Returns how it ended: booked, or failed after RESUBMITS tries."""
    url = browser.base_url + reverse("leerrekening:booking-create", kwargs={"pk": course.pk})
    for _ in range(RESUBMITS):
        page = browser.get(url, timeout=30, allow_redirects=False)
        outcome.record(page)
        if page.status_code == 200:
            break
        time.sleep(0.05)
    else:
        return "form never loaded"
    data = {
        "csrfmiddlewaretoken": CSRF_RE.search(page.text).group(1),
        "request_token": TOKEN_RE.search(page.text).group(1),
        "work_related": "yes",
        "confirm_with": "password",
        "password": password,
    }
    for _ in range(RESUBMITS):
        response = browser.post(
            url, data=data, headers={"Referer": url}, timeout=30, allow_redirects=False
        )
        outcome.record(response)
        if response.status_code == 302 and "/boekingen/" in response.headers["Location"]:
            return "booked"
        if response.status_code < 500:
            with outcome.lock:
                outcome.unexpected.append(f"{response.status_code}: {refusal_of(response)}")
            return f"refused {response.status_code}"
        time.sleep(0.05)  # the error page: the worker sends the same form again
    return "failed"


def reset_every_connection(stop: threading.Event, keep_pid: int, resets: list[int]):
    """What a PostgreSQL crash does to the portal: every backend of the test database ends."""
    params = connection.get_connection_params()
    killer = psycopg2.connect(**params)
    killer.autocommit = True
    try:
        with killer.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    "   AND pid <> %s AND backend_type = 'client backend'",
                    [keep_pid],
                )
                resets.append(cursor.fetchone()[0])
                time.sleep(0.02)
    finally:
        killer.close()


def test_a_database_crash_in_a_booking_rush_loses_and_duplicates_nothing(live_server, rush):
    workers, courses = rush
    rush_courses, after_course = courses[:-1], courses[-1]
    browsers = [browser_for(live_server, worker) for worker in workers]
    outcome = Outcome()
    results: list[str] = []
    started = threading.Barrier(THREADS + 1)

    def client_thread(index: int):
        mine = browsers[index * WORKERS_PER_THREAD : (index + 1) * WORKERS_PER_THREAD]
        started.wait()
        for course in rush_courses:
            for browser in mine:
                result = book_through_the_form(browser, course, factories.TEST_PASSWORD, outcome)
                with outcome.lock:
                    results.append(result)

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    started.wait()
    # Let the rush get going (a sixth of its bookings made), then crash the database for a while
    # in the middle of it.
    deadline = time.monotonic() + 120
    while len(results) < len(workers) * len(rush_courses) // 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop, resets = threading.Event(), []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    killer = threading.Thread(target=reset_every_connection, args=(stop, own_pid, resets))
    killer.start()
    time.sleep(1.0)
    stop.set()
    killer.join()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    connections.close_all()

    # The crash hit requests in flight, and they got the portal's own 503, with a retry hint.
    assert sum(resets) > 0
    assert outcome.error_pages, f"no request was in flight during the crash: {outcome.statuses}"
    for status, body, retry_after in outcome.error_pages:
        assert status == 503, body[:300]
        assert "Server Error (500)" not in body
        assert "Leerportaal is even niet bereikbaar" in body
        assert retry_after == "5"
    assert outcome.unexpected == []

    # Every resubmitted form ended in one booking, none in two.
    assert Counter(results) == {"booked": len(workers) * len(rush_courses)}
    per_worker_course = Counter(Booking.objects.values_list("worker_id", "course_id"))
    assert set(per_worker_course.values()) == {1}
    assert len(per_worker_course) == len(workers) * len(rush_courses)

    # No booking without its reservation, no reservation without its booking.
    assert not Booking.objects.filter(reservation__isnull=True).exists()
    assert Reservation.objects.filter(status="open").count() == Booking.objects.count()
    assert not Reservation.objects.filter(booking__isnull=True).exists()
    assert_invariants_hold()
    call_command("ledger_check")

    # After the crash the portal books again at once.
    after = [
        book_through_the_form(browser, after_course, factories.TEST_PASSWORD, Outcome())
        for browser in browsers[:3]
    ]
    assert after == ["booked"] * 3
