"""One rule "employed on a date" in three forms (Python, ORM, SQL): they select the same rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from accounts.models import Employment, User, employment_active_on_sql, employment_runs_on
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def test_the_python_orm_and_sql_forms_agree_on_every_edge():
    employer = factories.EmployerFactory()
    spans = [
        (D(2026, 1, 1), None),  # open
        (D(2026, 1, 1), D(2026, 1, 31)),  # ended
        (D(2026, 2, 1), D(2026, 2, 1)),  # one day
        (D(2026, 3, 1), None),  # starts later
    ]
    ids = []
    for n, (start, end) in enumerate(spans):
        worker = User.objects.create(email=f"span{n}@example.nl")
        ids.append(
            Employment.objects.create(
                worker=worker,
                employer=employer,
                employee_number=str(n),
                start_date=start,
                end_date=end,
            ).pk
        )
    days = [D(2025, 12, 31), D(2026, 1, 1), D(2026, 1, 31), D(2026, 2, 1), D(2026, 2, 2),
            D(2026, 3, 1), D(2027, 1, 1)]  # fmt: skip
    for day in days:
        orm = set(Employment.objects.filter(pk__in=ids).active_on(day).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.id FROM accounts_employment e WHERE e.id = ANY(%(ids)s) AND "  # noqa: S608
                + employment_active_on_sql(alias="e", day="%(day)s"),
                {"ids": ids, "day": day},
            )
            sql = {row[0] for row in cursor.fetchall()}
        python = {
            pk for pk, (start, end) in zip(ids, spans, strict=True)
            if employment_runs_on(start, end, day)
        }  # fmt: skip
        assert orm == sql == python, day
