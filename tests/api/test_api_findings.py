"""Smaller API findings of issue 16, each tried as an attack and refused with nothing leaked."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from leerportaal.api.idempotency import hash_of_request, legacy_rewrap
from leerportaal.models import IdempotencyRecord
from leerrekening import ledger
from leerrekening.models import Booking, DepositBatch, Transfer
from tests import factories
from tests.factories import TEST_PASSWORD
from tests.support.deposits import upload
from tests.support.funding import fund

pytestmark = pytest.mark.django_db

BATCH = "api:v1:employer-deposit-batch"


def test_a_sector_funds_batch_paid_to_my_roster_is_404_like_a_missing_id(employer_api, acme, alice):
    acme_funder = fund("100000.00", employer=acme)
    sector_fund = factories.FunderFactory(
        name="O&O-fonds Retail", kind="sector_fund", employer=None
    )
    ledger.funding_record(
        funder=sector_fund, amount=Decimal("1000.00"), idempotency_key="fund-fonds"
    )
    fund_batch = upload(sector_fund, acme, ["000101;77,00"])
    own_batch = upload(acme_funder, acme, ["000101;12,00"])
    assert fund_batch.status != DepositBatch.Status.REJECTED, fund_batch.errors
    client = employer_api(acme)

    own = client.get(reverse(BATCH, args=[own_batch.pk]))
    assert own.status_code == 200
    assert own.json()["id"] == own_batch.pk

    foreign = client.get(reverse(BATCH, args=[fund_batch.pk]))
    missing = client.get(reverse(BATCH, args=[fund_batch.pk + 10_000]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    body = foreign.content.decode()
    assert "77" not in body
    assert "O&O" not in body


# --- The stored idempotency request hash ---------------------------------------------------------
@pytest.fixture
def alice_with_budget(alice, acme):
    funder = fund("100000.00", employer=acme)
    ledger.deposit_create(
        funder=funder, worker=alice, amount=Decimal("500.00"), idempotency_key="d"
    )
    return alice


def _book(client, course, key, **extra):
    body = {"course": course.pk, "work_related": True, "password": TEST_PASSWORD, **extra}
    return client.post(reverse("api:v1:me-bookings"), body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _stored_hash(key: str) -> str:
    return IdempotencyRecord.objects.get(key=key).request_hash


def test_the_stored_request_hash_carries_nothing_of_the_password(alice_with_budget, settings):
    course = factories.CourseFactory(price=Decimal("100.00"))
    client = APIClient()
    client.force_authenticate(alice_with_budget)
    assert _book(client, course, "boek-1").status_code == 201
    stored = _stored_hash("boek-1")
    # Not the plain sha256 of the body that anyone holding the table could test guesses against.
    plain = json.dumps(
        {"course": course.pk, "password": TEST_PASSWORD, "work_related": True}, sort_keys=True
    )
    path = reverse("api:v1:me-bookings")
    assert stored != hashlib.sha256(f"POST {path}\n{plain}".encode()).hexdigest()
    assert TEST_PASSWORD not in stored

    # A replay with another password is the same request: the hash does not depend on it at all.
    replay = _book(client, course, "boek-1", password="een-ander-wachtwoord")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1

    # It is an HMAC with the server secret: the same request under another SECRET_KEY hashes
    # differently, so the stored value is worthless without the server's secret.
    request = SimpleNamespace(
        method="POST",
        path=path,
        data={"course": course.pk, "work_related": True, "password": "een-ander-wachtwoord"},
    )
    assert hash_of_request(request) == stored
    settings.SECRET_KEY = "een-andere-geheime-sleutel-voor-deze-test-die-lang-genoeg-is"
    assert hash_of_request(request) != stored


def _upload(client, key: str, content: bytes):
    return client.post(
        reverse("api:v1:employer-deposit-batches"),
        {"file": SimpleUploadedFile("stortingen.csv", content, content_type="text/csv")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_an_upload_with_the_same_name_but_other_content_is_not_a_replay(employer_api, acme, alice):
    fund("100000.00", employer=acme)
    client = employer_api(acme)
    first = _upload(client, "upload-1", b"personeelsnummer;bedrag\n000101;10,00\n")
    assert first.status_code == 202, first.json()
    other = _upload(client, "upload-1", b"personeelsnummer;bedrag\n000101;400,00\n")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_conflict"
    assert "Idempotent-Replayed" not in other.headers
    assert DepositBatch.objects.count() == 1
    assert not Transfer.objects.filter(amount=Decimal("400.00")).exists()
    # The very same file again is a replay.
    again = _upload(client, "upload-1", b"personeelsnummer;bedrag\n000101;10,00\n")
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_key_stored_before_the_hmac_still_replays(alice_with_budget):
    """A record of before migration 0002 holds HMAC("legacy:" + the old sha256 hash)."""
    course = factories.CourseFactory(price=Decimal("100.00"))
    client = APIClient()
    client.force_authenticate(alice_with_budget)
    assert _book(client, course, "oud").status_code == 201
    path = reverse("api:v1:me-bookings")
    body = json.dumps(
        {"course": course.pk, "work_related": True, "password": TEST_PASSWORD}, sort_keys=True
    )
    old = hashlib.sha256(f"POST {path}\n{body}".encode()).hexdigest()
    IdempotencyRecord.objects.filter(key="oud").update(request_hash=legacy_rewrap(old))
    replay = _book(client, course, "oud")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
