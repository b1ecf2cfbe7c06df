"""/health/ answers with the names of what is down and nothing else (never an exception's text),
and within a few seconds even when a server does not answer at all."""

from __future__ import annotations

import socket
import time

import pytest
from django.urls import reverse

from leerportaal import health
from tests.support.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ALLOWED_DETAILS = {"unreachable", "timeout", "no worker answered"}


def _point_everything_at(port: int, settings, monkeypatch) -> None:
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    real = health._database_params
    monkeypatch.setattr(
        health, "_database_params", lambda: {**real(), "host": "127.0.0.1", "port": port}
    )


def _assert_names_only(response, port: int) -> None:
    body = response.json()
    assert response.status_code == 503
    assert set(body["down"]) == {"database", "redis", "celery"}
    assert {check["detail"] for check in body["checks"].values()} <= ALLOWED_DETAILS
    text = response.content.decode()
    for leak in (str(port), "127.0.0.1", "Error", "refused", "Connection", "postgres", "test_"):
        assert leak not in text


def test_health_names_what_is_down_without_exception_text(client, settings, monkeypatch):
    port = free_port()  # nothing listens: every connection is refused
    _point_everything_at(port, settings, monkeypatch)
    started = time.monotonic()
    response = client.get(reverse("health"))
    assert time.monotonic() - started < 3
    _assert_names_only(response, port)


def test_health_answers_quickly_when_servers_accept_but_never_answer(client, settings, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections are accepted by the kernel, then nothing is ever said
    port = silent.getsockname()[1]
    try:
        _point_everything_at(port, settings, monkeypatch)
        started = time.monotonic()
        response = client.get(reverse("health"))
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert elapsed < health.DEADLINE + 1
    _assert_names_only(response, port)
