"""Any limit or offset gives a page, never a 500: a fuzzer found `limit=<huge>` overflowing
PostgreSQL's bigint in the employer's employment list."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


def test_a_huge_limit_gives_at_most_the_largest_page(employer_api, acme, alice):
    response = employer_api(acme).get(reverse("api:v1:employer-employments"), {"limit": HUGE})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [row["employee_number"] for row in body["results"]] == ["000101"]


def test_a_huge_offset_gives_an_empty_page(employer_api, acme, alice):
    response = employer_api(acme).get(
        reverse("api:v1:employer-employments"), {"offset": HUGE, "limit": HUGE}
    )

    assert response.status_code == 200
    assert response.json()["results"] == []
