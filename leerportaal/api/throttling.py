"""DRF throttles for every API call: per API key, per signed-in person, per address otherwise.

Each call is counted by exactly one of them (an organisation's key, else the person, else the
client address of leerportaal.client_address). Over the rate DRF raises Throttled, which
leerportaal.api.errors turns into 429 {"code": "throttled", "message": ...} with Retry-After.
The rates (settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], from .env) are read per call, not
once at import, so they follow the settings.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from leerportaal.client_address import client_address


def _by_api_key(request) -> bool:
    return request.auth is not None and hasattr(request.auth, "prefix")


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_address(request)


class ApiKeyRateThrottle(_RateFromSettings):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not _by_api_key(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_RateFromSettings):
    scope = "user"

    def get_cache_key(self, request, view):
        if _by_api_key(request) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_RateFromSettings):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
