"""Logins, failed logins and logouts go to the audit trail from day one.

Django's auth signals are the only hook that sees every login path (form, admin, API token).
A failed login for an existing account is recorded each time; failures for usernames that do not
exist are counted per client address and recorded at most once per window (with their count), so
guessing made-up names cannot grow the log without bound.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import login_throttle
from .audit import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, obj=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.logout", actor=user, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Never record the password; the cleansed credentials keep only the username.
    username = str(credentials.get("username", ""))
    user_model = get_user_model()
    if username and user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).exists():
        audit_record(action="auth.login_failed", actor=None, actor_name=username[:150], request=request)
        return
    count = login_throttle.note_unknown_username(request)
    if count is not None:
        # The names themselves are not kept: a mistyped username is often a password.
        audit_record(action="auth.login_failed_unknown", actor=None, request=request, data={"unknown_usernames": count})
