"""Security headers: a Content Security Policy on every page, HSTS and secure cookies in production."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "script-src 'self'" in policy  # plus the request's nonce on pages with an inline script
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_production_sends_hsts_and_marks_cookies_secure(client, settings):
    # The settings module's own values (DEBUG is off in tests, as in production): the live
    # server's plain-http override (tests/conftest.py) holds for the rest of a session once a
    # test has started it, so it is undone here.
    from leerportaal import settings as production

    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    settings.SECURE_HSTS_SECONDS = production.SECURE_HSTS_SECONDS
    settings.SESSION_COOKIE_SECURE = production.SESSION_COOKIE_SECURE
    settings.CSRF_COOKIE_SECURE = production.CSRF_COOKIE_SECURE
    response = client.get(reverse("login"), secure=True)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_need_no_inline_script(client):
    body = client.get("/api/docs/").content.decode()
    assert "<script>" not in body
