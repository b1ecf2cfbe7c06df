"""Production settings (DEBUG=false) refuse to start with no SECRET_KEY or a published one;
development (DEBUG=true) and a real key start as before."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.processes import BASE_DIR

pytestmark = pytest.mark.slow


def manage_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.pop("PYTEST_VERSION", None)  # as outside a test run
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = manage_check(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "published",
    ["django-insecure-leerportaal-development-only", "change-me-to-a-long-random-string"],
)
def test_production_with_a_published_secret_key_refuses_to_start(published):
    result = manage_check(DEBUG="false", SECRET_KEY=published)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_with_its_own_secret_key_starts():
    result = manage_check(DEBUG="false", SECRET_KEY="eigen-" + "k" * 50)
    assert result.returncode == 0, result.stderr


def test_development_starts_with_the_default_key():
    result = manage_check(DEBUG="true")
    assert result.returncode == 0, result.stderr


def manage(*args: str, **overrides: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "PYTEST_VERSION")
    }
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_makemigrations_check_runs_on_a_bare_checkout_without_a_key():
    result = manage("makemigrations", "--check", "--dry-run", DEBUG="false")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_a_command_that_serves_or_changes_data_still_refuses_without_a_key():
    result = manage("migrate", "--plan", DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
