"""docker-compose.yml scales out: several web and worker replicas behind nginx, one beat, one
PostgreSQL and Redis, metrics summed over the replicas. (No Docker engine here: the files are
checked, the topology itself is measured with bench/portal.py --web-instances/--celery-workers.)"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_web_and_worker_scale_and_beat_stays_single():
    services = compose()["services"]

    assert "ports" not in services["web"]  # replicas cannot share a host port
    assert services["web"]["deploy"]["replicas"] == "${WEB_REPLICAS:-1}"
    assert services["worker"]["deploy"]["replicas"] == "${WORKER_REPLICAS:-1}"
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["proxy"]["ports"] == ["8000:80"]


def test_every_replica_writes_metrics_to_one_shared_volume():
    services = compose()["services"]

    for name in ("web", "worker"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/metrics"
        assert "metrics:/metrics" in services[name]["volumes"]
    assert "metrics" in compose()["volumes"]


def test_nginx_balances_over_every_web_replica_and_passes_the_request_id():
    conf = (ROOT / "docker" / "nginx.conf").read_text()

    assert "server web:8000 resolve;" in conf
    assert "resolver 127.0.0.11" in conf
    assert "proxy_set_header X-Request-ID $request_id;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
