"""Booking in tests: through the service, through the page, and with a one-time code."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from leerrekening.bookings import services
from leerrekening.bookings.confirmation import code_hash
from leerrekening.models import OneTimeCode
from tests.factories import TEST_PASSWORD

CODE = "135790"


def book(
    worker,
    course,
    *,
    token="t1",  # noqa: S107 — a form token, not a password
    pays_rest_self=False,
    work_related=True,
    code=None,
):
    return services.booking_create(
        worker=worker,
        course=course,
        work_related=work_related,
        pays_rest_self=pays_rest_self,
        request_token=token,
        code=code,
    )


def booking_post(client, course, **overrides):
    data = {
        "request_token": "tok-1",
        "work_related": "yes",
        "confirm_with": "password",
        "password": TEST_PASSWORD,
        **overrides,
    }
    return client.post(reverse("leerrekening:booking-create", args=[course.pk]), data)


def give_code(user) -> None:
    """As if the e-mailed code had arrived (one_time_code_send, without the e-mail). The stored
    hash is the one a right guess makes (code_hash)."""
    OneTimeCode.objects.create(
        user=user,
        purpose="booking",
        code_hash=code_hash(user_id=user.pk, code=CODE),
        expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
