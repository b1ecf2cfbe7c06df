"""The portal's Redis cache (leerportaal/cache.py) on the real Redis: Django's behaviour, with
one client per connection pool and no memcached key checks."""

from __future__ import annotations

import uuid
import warnings

import pytest
from django.conf import settings

from leerportaal.cache import RedisCache


@pytest.fixture
def redis_cache_safe():
    """A cache on the configured Redis under a prefix of its own; it deletes only its own keys
    (clear() would flush the whole Redis database)."""
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    used: list[str] = []
    yield cache, used
    cache.delete_many(used)


def test_values_go_in_and_come_out_as_with_djangos_cache(redis_cache_safe):
    cache, used = redis_cache_safe
    used += ["a", "counter"]
    cache.set("a", {"points": [1, 2]}, 30)
    assert cache.get("a") == {"points": [1, 2]}
    assert cache.add("counter", 1, 30) is True
    assert cache.add("counter", 2, 30) is False
    assert cache.incr("counter") == 2
    cache.delete("a")
    assert cache.get("a") is None


def test_a_key_memcached_would_refuse_works_without_a_warning(redis_cache_safe):
    cache, used = redis_cache_safe
    key = "rate limit: " + "x" * 300  # spaces and over 250 characters
    used.append(key)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.set(key, "ok", 30)
        assert cache.get(key) == "ok"


def test_one_client_serves_every_call_on_a_pool(redis_cache_safe):
    cache, _used = redis_cache_safe
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client("some-key") is cache._cache.get_client("other-key")
