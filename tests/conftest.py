"""Test personas, after healthchecks' alice/bob/charlie.

alice: a worker at employer Acme; bob: a worker at Bouw BV; hanna: Acme's HR (employer staff);
olaf: staff of an approved provider; carla: a coordinator; amir: an ambassador who is also a worker.

Fixtures live in the conftest.py of the directory that uses them (here: those of more than one
directory); plain helpers in tests/support/. No test module imports another.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from leerportaal import embedded
from tests import factories
from tests.support.auth import TEST_TOTP_SECRET, with_second_factor  # noqa: F401 (used below)
from tests.support.funding import fund


def pytest_unconfigure(config):
    # Stop the embedded servers if this test session started them (a fresh machine, `make test`).
    embedded.stop_started_here()


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Production defaults redirect to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False
    # No collectstatic in tests: serve from the source folders, without a manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    # Login rate limits and used two-factor codes live in the cache: one per test, so a test's
    # failed logins never lock out the next, and no test touches the shared Redis.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Proof files (leerportaal/storage.py) go to a folder of this test, never the real one.
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture(scope="session")
def _plain_http_live_server_settings(django_test_environment):
    """The live server speaks plain http: no https redirect, cookies without the Secure flag.

    Set for the session, before the server thread builds its middleware (SecurityMiddleware
    reads SECURE_SSL_REDIRECT once, when it is created).
    """
    from django.test.utils import override_settings

    override = override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(scope="session")
def live_server(_plain_http_live_server_settings, live_server):
    """pytest-django's live server, started only after the plain-http settings are in place."""
    return live_server


@pytest.fixture
def acme(db):
    return factories.EmployerFactory(name="Acme Supermarkten")


@pytest.fixture
def bouw(db):
    return factories.EmployerFactory(name="Bouw BV")


@pytest.fixture
def alice(acme):
    worker = factories.UserFactory(email="alice@example.nl", full_name="Alice Aalbers")
    factories.EmploymentFactory(worker=worker, employer=acme, employee_number="000101")
    return worker


@pytest.fixture
def bob(bouw):
    worker = factories.UserFactory(email="bob@example.nl", full_name="Bob Bakker")
    factories.EmploymentFactory(worker=worker, employer=bouw, employee_number="0042")
    return worker


@pytest.fixture
def hanna(acme):
    membership = factories.EmployerMembershipFactory(
        employer=acme, user__email="hanna@example.nl", user__full_name="Hanna HR"
    )
    return with_second_factor(membership.user)


@pytest.fixture
def olaf(db):
    membership = factories.ProviderMembershipFactory(
        user__email="olaf@example.nl", user__full_name="Olaf Opleider"
    )
    return with_second_factor(membership.user)


@pytest.fixture
def carla(db):
    return with_second_factor(
        factories.UserFactory(
            email="carla@example.nl",
            full_name="Carla Coördinator",
            is_worker=False,
            is_staff=True,
            is_coordinator=True,
        )
    )


@pytest.fixture
def amir(acme):
    worker = factories.UserFactory(
        email="amir@example.nl", full_name="Amir Ambassadeur", is_ambassador=True
    )
    factories.EmploymentFactory(worker=worker, employer=acme, employee_number="000102")
    return worker


@pytest.fixture
def amir_at_acme(amir, acme):
    """amir serves Acme as its learning ambassador."""
    return factories.AmbassadorshipFactory(ambassador=amir, employer=acme)


@pytest.fixture
def berend(bouw):
    """A second ambassador, a worker at Bouw BV who serves Bouw BV."""
    worker = factories.UserFactory(
        email="berend@example.nl", full_name="Berend Bouwambassadeur", is_ambassador=True
    )
    factories.EmploymentFactory(worker=worker, employer=bouw, employee_number="0099")
    factories.AmbassadorshipFactory(ambassador=worker, employer=bouw)
    return worker


@pytest.fixture
def anouk(acme):
    """A second ambassador at Acme itself: a colleague of amir, who must still not see his logs."""
    worker = factories.UserFactory(
        email="anouk@example.nl", full_name="Anouk Ambassadeur", is_ambassador=True
    )
    factories.EmploymentFactory(worker=worker, employer=acme, employee_number="000103")
    factories.AmbassadorshipFactory(ambassador=worker, employer=acme)
    return worker


# --- Shared by the portal tests (leerrekening, accounts, leerportaal) ---


@pytest.fixture
def celery_eager():
    """Run tasks in-process, as a worker would, so their effects (e-mails) can be checked."""
    from leerportaal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def funded_alice(alice, acme):
    """alice with EUR 1,000 from Acme, ending in 60 days."""
    fund(
        "1000.00",
        worker=alice,
        funder=factories.FunderFactory(employer=acme),
        ends_on=timezone.localdate() + datetime.timedelta(days=60),
    )
    return alice


@pytest.fixture
def provider(olaf):
    """olaf's provider."""
    return olaf.provider_memberships.get().provider


@pytest.fixture
def course(provider):
    return factories.CourseFactory(
        provider=provider,
        title="Basiscursus lassen",
        description="Leer lassen met MIG/MAG in de werkplaats.",
        price=Decimal("450.00"),
        capacity=12,
    )
