"""API authentication: people by session, organisations (payroll, providers) by API key."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.api_keys import api_key_authenticate
from accounts.models import ApiKey


class OrganisationPrincipal:
    """`request.user` for a call made with an API key: an organisation, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_worker = is_ambassador = is_coordinator = is_staff = is_superuser = False
    pk = id = None

    def __init__(self, key: ApiKey):
        self.key = key
        self.employer = key.employer
        self.provider = key.provider

    def __str__(self) -> str:
        return f"API key {self.key.prefix}"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1")
        scheme, _, presented = header.partition(" ")
        if scheme != self.keyword:
            return None
        key = api_key_authenticate(presented=presented.strip())
        if key is None:
            raise AuthenticationFailed("unknown or revoked API key", code="invalid_api_key")
        return OrganisationPrincipal(key), key

    def authenticate_header(self, request) -> str:
        return self.keyword
