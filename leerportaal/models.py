"""Project-wide records: API idempotency.

An API call that moves money carries an ``Idempotency-Key`` header. Its first successful response
is stored in the same transaction as the money it moved, so a replay (same key, same request)
returns that response and moves nothing, and a key reused for another request is refused.
"""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    # Who used the key: "user:<id>" or "apikey:<id>", so two clients never collide.
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_record_once"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
