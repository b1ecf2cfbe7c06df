"""English is complete: every Dutch text in the portal has an English translation."""

from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[2] / "locale/en/LC_MESSAGES/django.po"


def test_every_text_has_an_english_translation():
    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []


def test_compiled_catalogue_is_not_older_than_the_source():
    mo = PO.with_suffix(".mo")
    assert mo.exists()
    assert polib.mofile(str(mo)).percent_translated() == polib.pofile(str(PO)).percent_translated()
    assert len(polib.mofile(str(mo))) == len(polib.pofile(str(PO)).translated_entries())
