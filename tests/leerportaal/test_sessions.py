"""Sessions live in Redis with PostgreSQL behind them (leerportaal/sessions.py)."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_reads_its_session_from_the_cache_not_the_database(
    client, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(20) as captured:
        assert client.get(reverse("leerrekening:dashboard")).status_code == 200
    assert not any("django_session" in query["sql"] for query in captured.captured_queries)


def test_with_the_cache_down_a_signed_in_worker_still_gets_their_page(client, alice, monkeypatch):
    client.force_login(alice)
    cache = caches["default"]
    cache.clear()

    def unreachable(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", unreachable)
    monkeypatch.setattr(cache, "set", unreachable)
    response = client.get(reverse("leerrekening:dashboard"))
    assert response.status_code == 200
    assert response.wsgi_request.user == alice
