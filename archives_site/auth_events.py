"""Logins, failed logins and logouts go to the audit trail from day one.

Django's auth signals are the only hook that sees every login path (form, admin, API token).
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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
    audit_record(
        action="auth.login_failed",
        actor=None,
        actor_name=str(credentials.get("username", ""))[:150],
        request=request,
    )
