"""/metrics: Prometheus figures for the people who run the portal, only with the bearer token,
with nothing personal in them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from leerportaal.celery import app as celery_app
from leerrekening import tasks
from leerrekening.bookings.services import booking_create
from tests import factories
from tests.support.funding import fund
from tests.support.processes import (
    CeleryWorker,
    RedisServer,
    celery_pointed_at,
    free_port,
    wait_for,
)

TOKEN = "a-long-random-metrics-token-for-tests"


@pytest.fixture
def booking(db):
    worker = factories.UserFactory()
    fund("500.00", worker=worker)
    course = factories.CourseFactory(price=Decimal("120.00"))
    return booking_create(
        worker=worker, course=course, work_related=True, pays_rest_self=False, request_token="m"
    )


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"].startswith("max-age=0")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"bearer {TOKEN}x"],
)
def test_metrics_without_the_right_token_is_a_plain_404(client, db, metrics_token, authorization):
    headers = {"authorization": authorization} if authorization is not None else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 404
    assert b"leerportaal_" not in response.content


def test_metrics_is_a_404_when_no_token_is_configured(client, db, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", headers={"authorization": "Bearer "})

    assert response.status_code == 404


def test_requests_are_counted_and_timed_by_view_and_status(client, db, metrics_token):
    before = scrape(client)
    client.get("/inloggen/")
    client.get("/inloggen/")
    client.get("/bestaat-niet/")

    after = scrape(client)

    counted = (
        "leerportaal_http_requests_total",
        {"method": "GET", "view": "login", "status": "200"},
    )
    assert value(after, counted[0], **counted[1]) - value(before, counted[0], **counted[1]) == 2
    assert (
        value(
            after, "leerportaal_http_requests_total", method="GET", view="unmatched", status="404"
        )
        - value(
            before, "leerportaal_http_requests_total", method="GET", view="unmatched", status="404"
        )
        == 1
    )
    timed = "leerportaal_http_request_duration_seconds_count"
    assert (
        value(after, timed, method="GET", view="login")
        - value(before, timed, method="GET", view="login")
        == 2
    )


def test_bookings_batches_and_the_last_ledger_check_come_from_the_database(
    client, metrics_token, booking
):
    call_command("ledger_check")

    samples = scrape(client)

    assert value(samples, "leerportaal_bookings", status="reserved") == 1
    assert value(samples, "leerportaal_ledger_check_ok") == 1
    assert value(samples, "leerportaal_ledger_check_broken") == 0
    assert value(samples, "leerportaal_ledger_check_last_run_timestamp_seconds") > 0
    assert ("leerportaal_deposits_applied_total", ()) in samples


def test_metrics_hold_nothing_personal(client, metrics_token, booking):
    provider_staff = factories.ProviderMembershipFactory(provider=booking.course.provider).user
    client.force_login(booking.worker)
    client.get("/mijn-leerrekening/")
    client.logout()

    body = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"}).content.decode()

    for personal in (
        booking.worker.email,
        booking.worker.full_name,
        provider_staff.email,
        provider_staff.full_name,
    ):
        assert personal not in body


def test_a_task_run_counts_its_outcome(client, db, metrics_token):
    name = "leerrekening.tasks.ledger_check_run"
    before = value(scrape(client), "leerportaal_celery_tasks_total", task=name, outcome="SUCCESS")

    tasks.ledger_check_run.apply()

    after = value(scrape(client), "leerportaal_celery_tasks_total", task=name, outcome="SUCCESS")
    assert after - before == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_tasks_run_by_a_real_worker_process_show_in_the_web_processs_metrics(
    client, metrics_token, tmp_path
):
    name = "leerrekening.tasks.ledger_check_run"
    redis = RedisServer(port=free_port(), directory=tmp_path).start()
    worker = CeleryWorker(redis_url=redis.url, log_path=tmp_path / "worker.log").start()
    try:
        worker.wait_ready(app=celery_app)
        before = value(
            scrape(client), "leerportaal_celery_tasks_total", task=name, outcome="SUCCESS"
        )
        with celery_pointed_at(redis.url):
            tasks.ledger_check_run.delay()
        wait_for(
            lambda: (
                value(
                    scrape(client), "leerportaal_celery_tasks_total", task=name, outcome="SUCCESS"
                )
                > before
            ),
            timeout=30,
            what="the worker's task in /metrics",
        )
    finally:
        worker.stop()
        redis.stop()
