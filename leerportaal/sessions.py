"""Sessions read from Redis, with PostgreSQL behind them (Django's cached_db), that keep working
while Redis is down.

Django's cached_db already falls back to the database when reading the cache fails, but then
raises when it puts the session back in the cache: with Redis down every signed-in page would be
an error. Here that write is logged and skipped. Deleting (logout) stays as Django has it: a
session must not outlive its logout in the cache.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDbSessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning(
                "session read from the database; the cache is unreachable", exc_info=True
            )
        return data
