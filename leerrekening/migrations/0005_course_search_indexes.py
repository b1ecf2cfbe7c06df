"""Catalogue search: a Dutch full-text GIN index over title (weight A) and description (B), and a
trigram index on the title for typo-tolerant fallback. Expression indexes, so the course table
needs no extra column; leerrekening/catalogue/selectors.py uses exactly the same expression."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COURSE_SEARCH_EXPRESSION = (
    "(setweight(to_tsvector('dutch'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('dutch'::regconfig, coalesce(description, '')), 'B'))"
)


class Migration(migrations.Migration):
    dependencies = [("leerrekening", "0004_bookings_and_one_time_codes")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            f"CREATE INDEX course_search_dutch ON leerrekening_course USING gin ({COURSE_SEARCH_EXPRESSION});",
            "DROP INDEX IF EXISTS course_search_dutch;",
        ),
        migrations.RunSQL(
            "CREATE INDEX course_title_trgm ON leerrekening_course USING gin (title gin_trgm_ops);",
            "DROP INDEX IF EXISTS course_title_trgm;",
        ),
    ]
