"""/health/: database, Redis and a live Celery worker; 503 naming what is down."""

import pytest
from django.urls import reverse

from tests.support.processes import CeleryWorker, RedisServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis(tmp_path, settings):
    server = RedisServer(port=free_port(), directory=tmp_path).start()
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    yield server
    server.stop()


def test_health_is_200_when_database_redis_and_a_worker_are_up(client, private_redis, tmp_path):
    worker = CeleryWorker(redis_url=private_redis.url, log_path=tmp_path / "worker.log").start()
    try:
        worker.wait_ready(app=None)
        response = client.get(reverse("health"))
    finally:
        worker.stop()
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["down"] == []
    assert all(check["ok"] for check in body["checks"].values())


def test_health_is_503_naming_redis_when_redis_is_stopped(client, private_redis):
    private_redis.stop()
    response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 503
    assert "redis" in body["down"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False


def test_health_is_503_naming_celery_when_no_worker_runs(client, private_redis):
    response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 503
    assert body["down"] == ["celery"]
    assert body["checks"]["celery"]["detail"] == "no worker answered"
