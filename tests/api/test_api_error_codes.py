"""One error shape for the whole API: every DomainError becomes {"code", "message", **details}
with its own status and headers, and the schema lists every stable code."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.utils.translation import gettext_lazy as _
from rest_framework.test import APIClient

from leerportaal.api.errors import GENERIC_CODES, exception_handler
from leerportaal.errors import DomainError

pytestmark = pytest.mark.django_db


class _Busy(DomainError):
    # No `code` of its own: a test class must not add to the registry the schema lists.
    status = 429
    default_message = _("Dit kan niet.")


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_domain_error_code_and_the_generic_ones_are_in_the_schema():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schemas = response.json()["components"]["schemas"]
    listed = set(schemas["ErrorCode"]["enum"])
    domain_codes = {sub.code for sub in _all_subclasses(DomainError) if "code" in sub.__dict__}
    assert domain_codes, "the API's modules define domain errors"
    assert domain_codes <= listed
    assert set(GENERIC_CODES) <= listed
    assert {"already_claimed", "employment_overlap", "not_found"} <= listed
    assert schemas["Error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert schemas["Error"]["required"] == ["code", "message"]


def test_every_code_an_api_view_raises_is_in_the_schema():
    root = pathlib.Path(__file__).resolve().parents[2]
    raised = set()
    for app in ("accounts", "ambassadeurs", "leerportaal", "leerrekening"):
        for path in (root / app).rglob("*.py"):
            raised |= set(re.findall(r'ApiError\(\s*code="(\w+)"', path.read_text()))
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    listed = set(response.json()["components"]["schemas"]["ErrorCode"]["enum"])
    assert raised, "the views raise ApiErrors"
    assert raised <= listed


def test_a_domain_error_answers_with_its_code_status_details_and_headers():
    exc = _Busy("Even wachten.", details={"available": "10.00"}, headers={"Retry-After": "30"})
    response = exception_handler(exc, {})
    assert response.status_code == 429
    assert response.data == {
        "code": "domain_error",
        "message": "Even wachten.",
        "available": "10.00",
    }
    assert response["Retry-After"] == "30"


def test_legacy_attributes_available_and_requested_are_still_shown():
    exc = _Busy()
    exc.available, exc.requested = 5, 7
    response = exception_handler(exc, {})
    assert response.data["available"] == "5"
    assert response.data["requested"] == "7"
