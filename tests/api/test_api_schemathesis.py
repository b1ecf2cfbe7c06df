"""Schemathesis against our own OpenAPI schema, in-process: whatever it sends, no 5xx, and every
documented response matches the schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis import checks

from accounts.api_keys import api_key_create
from leerrekening import ledger
from tests import factories
from tests.support.funding import fund

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _load_schema():
    """The schema as /api/schema/ serves it, generated in-process (no database needed)."""
    import json

    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator(api_version="v1").get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    return loaded


schema = _load_schema()


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: a request must not close the test's database connection
    (the test runs in a transaction the calls share)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(keep_test_connection, acme, alice, amir, amir_at_acme, carla):
    """Real data behind the calls: a funded worker who is also reachable by an ambassador."""
    funder = factories.FunderFactory(employer=acme)
    fund("1000.00", funder=funder)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("300.00"), idempotency_key="d"
    )
    factories.CourseFactory()
    factories.ConversationRequestFactory(worker=alice, employer=acme)
    _, key = api_key_create(name="Salaris", employer=acme, by=carla)
    _, provider_key = api_key_create(
        name="Planning", provider=factories.ProviderFactory(), by=carla
    )
    worker, ambassador = Client(), Client()
    worker.force_login(alice)
    ambassador.force_login(amir)
    return {
        "employer": {"Authorization": f"Api-Key {key}"},
        "provider": {"Authorization": f"Api-Key {provider_key}"},
        "worker": {"sessionid": worker.cookies["sessionid"].value},
        "ambassador": {"sessionid": ambassador.cookies["sessionid"].value},
    }


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_never_answers_5xx_and_keeps_to_its_schema(case, credentials):
    path = case.operation.path
    role = (
        "employer" if "/employer/" in path else "ambassador" if "/ambassador/" in path else "worker"
    )
    # In-process WSGI app, built now so its middleware sees the test settings (plain http).
    auth = credentials[role]
    if role == "employer":
        response = case.call(headers=auth, app=WSGIHandler())
    else:
        response = case.call(cookies=auth, app=WSGIHandler())
    case.validate_response(
        response, checks=[checks.not_a_server_error, checks.response_schema_conformance]
    )
