"""Coordinators see aggregates only, with every cell below 5 conversations suppressed."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from ambassadeurs.selectors import SMALL_GROUP_THRESHOLD
from tests import factories
from tests.support.ambassadors import SECRET_NOTES

pytestmark = pytest.mark.django_db


def log(ambassador, employer, *, n, held_on, topics=("career",), outcome="information"):
    for _ in range(n):
        factories.ConversationFactory(
            ambassador=ambassador,
            employer=employer,
            held_on=held_on,
            topic_list=list(topics),
            outcome=outcome,
            follow_up_on=held_on if outcome == "follow_up" else None,
        )


@pytest.fixture
def spread(amir, berend, acme, bouw):
    """Acme: 7 in March and 6 in May (career), 2 in April (language); Bouw: 3 in March."""
    log(amir, acme, n=7, held_on=datetime.date(2026, 3, 10))
    log(amir, acme, n=6, held_on=datetime.date(2026, 5, 4))
    log(
        amir, acme, n=2, held_on=datetime.date(2026, 4, 2), topics=["language"], outcome="follow_up"
    )
    log(berend, bouw, n=3, held_on=datetime.date(2026, 3, 20), topics=["career", "language"])


def export_rows(client):
    response = client.get(reverse("ambassadeurs:coordinator-figures-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_export_never_contains_a_cell_below_five(client, carla, spread, acme, bouw):
    client.force_login(carla)
    rows = export_rows(client)
    assert rows[0] == ["indeling", "waarde", "aantal gesprekken"]
    counts = [row[2] for row in rows[1:]]
    for value in counts:
        assert value == f"<{SMALL_GROUP_THRESHOLD}" or int(value) >= SMALL_GROUP_THRESHOLD
    by_key = {(row[0], row[1]): row[2] for row in rows[1:]}
    assert by_key[("totaal", "")] == "18"
    assert by_key[("employer", bouw.name)] == "<5"
    assert by_key[("month", "2026-03")] == "10"
    assert by_key[("month", "2026-04")] == "<5"
    assert by_key[("topic", "Loopbaan")] == "16"
    assert by_key[("topic", "Taal")] == "5"


def test_one_hidden_cell_hides_the_next_smallest_so_it_cannot_be_subtracted(
    client, carla, spread, acme, bouw
):
    client.force_login(carla)
    by_key = {(row[0], row[1]): row[2] for row in export_rows(client)[1:]}
    # Two employers, one below 5: both hidden, or 18 - 15 would reveal Bouw's 3.
    assert by_key[("employer", acme.name)] == "<5"
    # April (2) is hidden, and so is the next smallest month, May (6); March (10) stays.
    assert by_key[("month", "2026-05")] == "<5"
    assert by_key[("month", "2026-03")] == "10"
    assert by_key[("sector", acme.sector.name)] == "<5"


def test_a_total_below_five_is_hidden_too(client, carla, amir, acme):
    log(amir, acme, n=3, held_on=datetime.date(2026, 3, 10))
    client.force_login(carla)
    body = client.get(reverse("ambassadeurs:coordinator-figures")).content.decode()
    assert "&lt;5" in body
    rows = export_rows(client)
    assert rows[1] == ["totaal", "", "<5"]
    assert all(row[2] == "<5" for row in rows[1:])


def test_the_coordinator_page_shows_aggregates_and_no_conversation(
    client, carla, spread, linked_conversation
):
    client.force_login(carla)
    response = client.get(reverse("ambassadeurs:coordinator-figures"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Gesprekken per werkgever" in body
    assert "<caption>" in body  # the chart's figures are in a table
    for leak in (SECRET_NOTES, "Alice Aalbers", "Amir Ambassadeur", "Berend"):
        assert leak not in body


def test_the_coordinator_filters_by_year(client, carla, amir, acme, spread):
    log(amir, acme, n=6, held_on=datetime.date(2025, 5, 1))
    client.force_login(carla)
    rows = export_rows(client)
    assert ["totaal", "", "24"] in rows
    response = client.get(reverse("ambassadeurs:coordinator-figures-export") + "?jaar=2025")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["totaal", "", "6"] in rows
    assert ["month", "2025-05", "6"] in rows


def test_export_cells_cannot_start_a_spreadsheet_formula(client, carla, amir):
    evil = factories.EmployerFactory(name='=HYPERLINK("http://x")')
    factories.AmbassadorshipFactory(ambassador=amir, employer=evil)
    log(amir, evil, n=6, held_on=datetime.date(2026, 3, 10))
    client.force_login(carla)
    labels = [row[1] for row in export_rows(client)]
    assert '\'=HYPERLINK("http://x")' in labels
    assert not any(label.startswith("=") for label in labels)


def test_an_ambassador_sees_their_own_figures_per_month_and_topic(client, amir, acme, amir_at_acme):
    from django.utils import timezone

    today = timezone.localdate()
    log(amir, acme, n=2, held_on=today, topics=["career", "language"])
    log(amir, acme, n=1, held_on=today, topics=["digital_skills"])
    client.force_login(amir)
    body = client.get(reverse("ambassadeurs:start")).content.decode()
    assert "Gesprekken per maand en onderwerp" in body
    assert "Digitale vaardigheden" in body
    assert "3 gesprekken" in body  # own figures are not suppressed: they are the ambassador's own
