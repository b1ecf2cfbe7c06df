"""Fixtures shared by the ledger tests; a test module may define its own of the same name."""

import pytest

from tests import factories


@pytest.fixture
def funder(acme):
    return factories.FunderFactory(employer=acme)


@pytest.fixture
def provider(db):
    return factories.ProviderFactory(name="Vakschool")
