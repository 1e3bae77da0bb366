"""``Authorization: Token <key>`` against :class:`~archives_site.models.ApiToken` (a module of its
own: DRF imports authentication classes while its views module is still loading)."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from archives_site.models import ApiToken
from archives_site.tokens import api_token_check


class ApiTokenAuthentication(TokenAuthentication):
    """Accepts only live tokens: not revoked, not expired, user active, password unchanged."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = api_token_check(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return token.user, token
