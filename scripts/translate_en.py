"""Fill English translations into locale/en/LC_MESSAGES/django.po from a JSON file of {nl: en}.

Usage: python scripts/translate_en.py translations.json   (then: manage.py compilemessages)
Only fills entries whose msgstr is empty, or marked fuzzy; prints what is still missing.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale/en/LC_MESSAGES/django.po"


def main() -> int:
    mapping = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    po = polib.pofile(str(PO), wrapwidth=100)
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid in mapping and (not entry.translated() or "fuzzy" in entry.flags):
            value = mapping[entry.msgid]
            if entry.msgid_plural:
                entry.msgstr_plural = {0: value[0], 1: value[1]}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in missing:
        print("MISSING:", json.dumps(msgid, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
