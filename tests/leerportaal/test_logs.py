"""Production logs: JSON lines with the request's id (also in the X-Request-ID header), e-mail
addresses masked in messages and tracebacks."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.conf import settings
from django.test import Client

from leerportaal import logs, views


@pytest.fixture
def json_log():
    """What the production handler writes for django.request, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def fail_naming_a_person():
    raise RuntimeError("could not reach alice.de.vries@example.nl")


def test_production_logs_json_by_default():
    assert settings.DEBUG is False
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"


def test_a_failing_requests_log_line_is_json_with_its_request_id_and_no_address(
    db, json_log, monkeypatch
):
    monkeypatch.setattr(views.health_checks, "run_all", fail_naming_a_person)

    response = Client(raise_request_exception=False).get("/health/")

    (line,) = json_log()
    assert response.status_code == 500
    assert line["level"] == "ERROR"
    assert line["logger"] == "django.request"
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert "RuntimeError: could not reach [e-mail]" in line["exception"]
    assert "alice.de.vries@example.nl" not in json.dumps(line)


def test_a_proxys_request_id_is_kept_and_a_malformed_one_replaced(client, db):
    kept = client.get("/inloggen/", headers={"x-request-id": "proxy-1234abcd"})
    replaced = client.get("/inloggen/", headers={"x-request-id": "evil\nline injected"})

    assert kept["X-Request-ID"] == "proxy-1234abcd"
    assert replaced["X-Request-ID"] != "evil\nline injected"
    assert len(replaced["X-Request-ID"]) == 32


def test_addresses_are_masked_in_plain_logs_too():
    record = logging.LogRecord(
        "leerrekening", logging.WARNING, __file__, 1, "mail to %s bounced", ("bob@bouw.nl",), None
    )

    assert "bob@bouw.nl" not in logs.PlainFormatter().format(record)
    assert "mail to [e-mail] bounced" in logs.PlainFormatter().format(record)
