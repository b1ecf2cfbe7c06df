"""Catalogue search: Dutch full-text with stemming, a typo fallback, filters, only approved courses."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leerrekening.catalogue.selectors import CatalogueFilters, catalogue_search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    vakschool = factories.ProviderFactory(name="Vakschool Noord")
    today = timezone.localdate()
    return {
        "lassen": factories.CourseFactory(
            provider=vakschool,
            title="Basiscursus lassen",
            description="MIG/MAG voor beginners.",
            price=Decimal("895.00"),
            format="on_site",
            location="Groningen",
            duration_hours=40,
            start_date=today + datetime.timedelta(days=90),
        ),
        "lasser": factories.CourseFactory(
            provider=vakschool,
            title="Opleiding tot lasser",
            description="Word een gecertificeerde lasser.",
            price=Decimal("2400.00"),
            format="mixed",
            location="Zwolle",
            duration_hours=120,
            start_date=today + datetime.timedelta(days=40),
        ),
        "heftruck": factories.CourseFactory(
            provider=vakschool,
            title="Heftruckcertificaat",
            description="Veilig werken met de heftruck. Met praktijkexamen.",
            price=Decimal("450.00"),
            format="on_site",
            location="Zwolle",
            duration_hours=16,
            start_date=today + datetime.timedelta(days=60),
        ),
        "digitaal": factories.CourseFactory(
            provider=factories.ProviderFactory(name="Digiwijs Academie"),
            title="Digitale vaardigheden op het werk",
            description="Werken met e-mail, roosters en apps; ook over lassen leer je niets.",
            price=Decimal("195.00"),
            format="online",
            location="",
            duration_hours=12,
            start_date=today + datetime.timedelta(days=30),
        ),
        "unapproved": factories.CourseFactory(
            provider=vakschool, title="Lassen voor gevorderden", approved_at=None
        ),
        "shady_provider": factories.CourseFactory(
            provider=factories.ProviderFactory(name="Aura Instituut", approved_at=None),
            title="Lassen met aura-energie",
        ),
        "started": factories.CourseFactory(
            provider=vakschool, title="Lassen zomercursus", start_date=today
        ),
    }


def titles(filters):
    courses, _fuzzy = catalogue_search(filters=filters)
    return [c.title for c in courses]


def test_dutch_stemming_finds_word_forms_lassen_finds_lasser_and_lassen(catalogue):
    found = titles(CatalogueFilters(q="lassen"))
    assert "Basiscursus lassen" in found
    assert "Opleiding tot lasser" in found


def test_a_title_match_ranks_above_a_description_match(catalogue):
    found = titles(CatalogueFilters(q="lassen"))
    assert found.index("Basiscursus lassen") < found.index("Digitale vaardigheden op het werk")


def test_plural_and_inflected_forms_match(catalogue):
    assert titles(CatalogueFilters(q="heftrucks")) == ["Heftruckcertificaat"]
    assert titles(CatalogueFilters(q="digitale")) == ["Digitale vaardigheden op het werk"]


def test_the_provider_name_is_searched_too(catalogue):
    assert titles(CatalogueFilters(q="Digiwijs")) == ["Digitale vaardigheden op het werk"]


def test_unapproved_courses_providers_and_started_courses_are_never_found(catalogue):
    found = titles(CatalogueFilters(q="lassen")) + titles(CatalogueFilters())
    assert "Lassen voor gevorderden" not in found
    assert "Lassen met aura-energie" not in found
    assert "Lassen zomercursus" not in found


def test_a_typo_falls_back_to_trigram_similarity(catalogue):
    courses, fuzzy = catalogue_search(filters=CatalogueFilters(q="heftuck"))
    assert fuzzy is True
    assert [c.title for c in courses] == ["Heftruckcertificaat"]


def test_filters_by_format_place_price_duration_and_start_date(catalogue):
    today = timezone.localdate()
    assert titles(CatalogueFilters(format="online")) == ["Digitale vaardigheden op het werk"]
    assert set(titles(CatalogueFilters(place="zwolle"))) == {
        "Opleiding tot lasser",
        "Heftruckcertificaat",
    }
    assert set(titles(CatalogueFilters(max_price=Decimal("500")))) == {
        "Heftruckcertificaat",
        "Digitale vaardigheden op het werk",
    }
    assert titles(CatalogueFilters(max_hours=12)) == ["Digitale vaardigheden op het werk"]
    assert titles(
        CatalogueFilters(
            start_from=today + datetime.timedelta(days=35),
            start_until=today + datetime.timedelta(days=65),
        )
    ) == ["Opleiding tot lasser", "Heftruckcertificaat"]
    assert titles(CatalogueFilters(q="lassen", place="Groningen")) == ["Basiscursus lassen"]


def test_search_text_cannot_break_the_query(catalogue):
    for text in ["'; drop table x; --", "a & | ! ( ) : *", "\\", "😀"]:
        courses, _ = catalogue_search(filters=CatalogueFilters(q=text))
        list(courses)


def test_the_search_can_use_the_dutch_gin_index(catalogue):
    from leerrekening.catalogue.selectors import COURSE_SEARCH_EXPRESSION

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM leerrekening_course"  # noqa: S608 — constants only
            f" WHERE {COURSE_SEARCH_EXPRESSION} @@ to_tsquery('dutch', 'lassen:*')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "course_search_dutch" in plan


def test_catalogue_page_shows_results_and_course_page(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("leerrekening:catalogue"), {"q": "lassen", "place": "Groningen"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Basiscursus lassen" in body
    assert "Opleiding tot lasser" not in body
    response = client.get(reverse("leerrekening:course-detail", args=[catalogue["lassen"].pk]))
    assert "MIG/MAG voor beginners." in response.content.decode()


def test_an_unapproved_course_page_is_not_found(client, alice, catalogue):
    client.force_login(alice)
    for key in ["unapproved", "shady_provider", "started"]:
        course = catalogue[key]
        response = client.get(reverse("leerrekening:course-detail", args=[course.pk]))
        assert response.status_code == 404
        assert course.title not in response.content.decode()
        response = client.get(reverse("leerrekening:booking-create", args=[course.pk]))
        assert response.status_code == 404
