"""Fixtures for the API tests: clients signed in with an organisation's API key."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create


@pytest.fixture
def employer_api(carla):
    """Make a client that sends a new API key of `employer` (made by the coordinator carla)."""

    def make(employer) -> APIClient:
        client = APIClient()
        _, text = api_key_create(name="Salaris", employer=employer, by=carla)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
        return client

    return make


@pytest.fixture
def bouw_api(employer_api, bouw):
    return employer_api(bouw)
