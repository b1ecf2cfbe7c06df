"""The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies of our own, the
address the outermost of them saw (X-Forwarded-For, counted from the right).

One setting (TRUSTED_PROXY_COUNT in .env) feeds this, allauth's login rate limits
(ALLAUTH_TRUSTED_PROXY_COUNT) and DRF's throttles (NUM_PROXIES), so they agree. With 0 (the
default) X-Forwarded-For is ignored: a client cannot pick its own address, and so can neither
escape a cap nor spend another address's allowance.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= count:
            address = hops[-count]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address or "unknown"
