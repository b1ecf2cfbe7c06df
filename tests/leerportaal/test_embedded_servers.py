"""The embedded default: PostgreSQL and Redis start from wheels, keep data, stop, start again."""

import json
import os
import subprocess
import sys

import pytest

from tests.support.processes import BASE_DIR

pytestmark = pytest.mark.slow


def run_python(code: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def bare_env(tmp_path):
    """An environment like a fresh machine: no server URLs, its own data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERPORTAAL_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["LEERPORTAAL_DATA_DIR"] = str(tmp_path / "data")
    yield env
    subprocess.run([sys.executable, "-m", "leerportaal.embedded", "stop"], cwd=BASE_DIR, env=env)


SETTINGS_PROBE = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerportaal.settings")
import django; django.setup()
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
out = {"host": db["HOST"], "name": db["NAME"], "redis": settings.REDIS_URL}
if os.environ.get("PROBE_CONNECT"):
    with connection.cursor() as c:
        c.execute("SELECT current_setting('server_version_num')::int")
        out["server_version"] = c.fetchone()[0]
        c.execute("SELECT count(*) FROM pg_available_extensions WHERE name IN ('btree_gist','pg_trgm')")
        out["extensions"] = c.fetchone()[0]
        c.execute("CREATE TABLE IF NOT EXISTS keepsake (note text)")
        if os.environ.get("PROBE_WRITE"):
            c.execute("INSERT INTO keepsake VALUES ('bewaard')")
        c.execute("SELECT count(*) FROM keepsake")
        out["rows"] = c.fetchone()[0]
    import redis
    r = redis.Redis.from_url(settings.REDIS_URL)
    if os.environ.get("PROBE_WRITE"):
        r.set("keepsake", "bewaard")
        r.execute_command("BGREWRITEAOF")
        import time; time.sleep(0.5)
    out["redis_value"] = (r.get("keepsake") or b"").decode()
print(json.dumps(out))
"""


def test_embedded_servers_start_keep_data_stop_and_start_again(bare_env, tmp_path):
    data = tmp_path / "data"
    first = json.loads(
        run_python(SETTINGS_PROBE, {**bare_env, "PROBE_CONNECT": "1", "PROBE_WRITE": "1"})
    )
    assert first["host"] == str(data / "postgres")
    assert first["name"] == "leerportaal"
    assert first["server_version"] >= 180000
    assert first["extensions"] == 2
    assert first["rows"] == 1
    assert (data / "postgres" / "PG_VERSION").exists()
    assert (data / "redis" / "appendonlydir").exists() or any((data / "redis").glob("*.aof*"))

    # Reused while running: a second process finds the same servers, nothing new is started.
    again = json.loads(run_python(SETTINGS_PROBE, {**bare_env, "PROBE_CONNECT": "1"}))
    assert again["redis"] == first["redis"]
    assert again["rows"] == 1

    stop = subprocess.run(
        [sys.executable, "-m", "leerportaal.embedded", "stop"], cwd=BASE_DIR, env=bare_env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "postgres: stopped" in stop.stdout
    assert "redis: stopped" in stop.stdout
    status = subprocess.run(
        [sys.executable, "-m", "leerportaal.embedded", "status"], cwd=BASE_DIR, env=bare_env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "postgres: stopped" in status.stdout
    assert "redis: stopped" in status.stdout

    # Started again: the data survived.
    restarted = json.loads(run_python(SETTINGS_PROBE, {**bare_env, "PROBE_CONNECT": "1"}))
    assert restarted["rows"] == 1
    assert restarted["redis_value"] == "bewaard"


def test_given_urls_are_used_and_nothing_is_embedded(bare_env, tmp_path):
    env = {
        **bare_env,
        "DATABASE_URL": "postgres://postgres@db.example.internal:5433/elders",
        "REDIS_URL": "redis://cache.example.internal:6390/2",
    }
    probe = json.loads(run_python(SETTINGS_PROBE, env))
    assert probe == {
        "host": "db.example.internal",
        "name": "elders",
        "redis": "redis://cache.example.internal:6390/2",
    }
    assert not (tmp_path / "data" / "postgres").exists()
    assert not (tmp_path / "data" / "redis").exists()
