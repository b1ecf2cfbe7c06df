"""A small counter of hits per key and fixed window, in the cache (Redis in production).

Used where allauth's and DRF's rate limits do not reach (e.g. anonymous ambassador requests
per client address). A cache outage lets the hit through rather than refusing everyone.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(*, scope: str, key: str, limit: int, period: int) -> int | None:
    """Count one hit of `key` in `scope`; None while at most `limit` hits fell in the current
    window of `period` seconds, else the seconds until the window ends (for Retry-After)."""
    now = time.time()
    window = int(now // period)
    name = f"ratelimit:{scope}:{key}:{window}"
    try:
        cache.add(name, 0, timeout=period + 1)
        count = cache.incr(name)
    except Exception:  # cache down: do not turn it into an error page
        logger.warning("rate limit %s not counted: cache unreachable", scope, exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, int((window + 1) * period - now + 0.999))
