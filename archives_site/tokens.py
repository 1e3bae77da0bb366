"""API tokens: issue, check, revoke, rotate (DESIGN §9). The key is shown once; only its SHA-256
is stored, so a copy of the database holds no usable token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .audit import audit_record
from .models import ApiToken


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user: Any) -> str:
    """Changes whenever the user's password (hash) changes, so tokens issued before die."""
    return salted_hmac("archives_site.ApiToken", user.password, algorithm="sha256").hexdigest()


@transaction.atomic
def api_token_issue(*, user: Any) -> tuple[ApiToken, str]:
    """A new token for the user, valid ``API_TOKEN_TTL_HOURS``; returns it and its key (the only
    time the key is known). The login that asked for it is audited by the caller (``auth.token``)."""
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_key_hash(key),
        password_fingerprint=password_fingerprint(user),
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return token, key


def api_token_check(*, key: str) -> ApiToken | None:
    """The live token with this key, or ``None`` (unknown, revoked, expired, user inactive, or
    the password changed since it was issued)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_key_hash(key), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.password_fingerprint, password_fingerprint(token.user)):
        return None
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any = None, request: HttpRequest | None = None) -> None:
    """Revoke the token at once; ``actor`` is its user unless an administrator revokes it."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        action="auth.token_revoke", actor=actor or token.user, obj=token.user, request=request, data={"token": token.pk}
    )


@transaction.atomic
def api_token_rotate(*, token: ApiToken, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """Revoke the token and issue its successor."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    new, key = api_token_issue(user=token.user)
    audit_record(
        action="auth.token_rotate",
        actor=token.user,
        obj=token.user,
        request=request,
        data={"token": token.pk, "new_token": new.pk},
    )
    return new, key


@transaction.atomic
def api_token_issue_by(*, user: Any, actor: Any, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """An administrator issues a token to ``user`` (a service account, from its account page);
    audited as ``auth.token`` with the administrator as actor. Returns the token and its key,
    shown this once."""
    token, key = api_token_issue(user=user)
    audit_record(
        action="auth.token", actor=actor, obj=user, request=request, data={"token": token.pk, "issued_by_admin": True}
    )
    return token, key


def api_tokens_live(*, user: Any):
    """The user's tokens that still work (not revoked, not expired), newest first. A password
    change also ends them (see :func:`api_token_check`): those are marked ``stale``."""
    tokens = list(
        ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by(
            "-created_at"
        )
    )
    current = password_fingerprint(user)
    for token in tokens:
        token.stale = not hmac.compare_digest(token.password_fingerprint, current)
    return tokens
