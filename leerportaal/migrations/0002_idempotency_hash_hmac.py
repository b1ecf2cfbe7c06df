"""Stored idempotency request hashes become HMACs with the server's SECRET_KEY.

A record's old hash was a plain sha256 of the whole request, passwords and one-time codes
included, so a copy of the table let anyone test guesses offline. The old hash cannot be
recomputed without the request, so it is wrapped: HMAC("legacy:" + old hash). A replay of such a
key is still recognised (leerportaal.api.idempotency._legacy_hash); new records store the HMAC of
the request without secrets.
"""

from django.db import migrations
from django.utils.crypto import salted_hmac


def legacy_rewrap(old_hash: str) -> str:
    # The same as leerportaal.api.idempotency.legacy_rewrap (kept here: migrations stay frozen).
    return salted_hmac(
        "leerportaal.api.idempotency", f"legacy:{old_hash}", algorithm="sha256"
    ).hexdigest()


def rewrap(apps, schema_editor):
    record = apps.get_model("leerportaal", "IdempotencyRecord")
    for pk, old in record.objects.values_list("pk", "request_hash").iterator():
        record.objects.filter(pk=pk).update(request_hash=legacy_rewrap(old))


class Migration(migrations.Migration):
    dependencies = [("leerportaal", "0001_api_idempotency_records")]

    operations = [migrations.RunPython(rewrap, migrations.RunPython.noop)]
