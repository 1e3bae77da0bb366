"""Form helpers shared by every app's staff pages."""

import secrets
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

INVALID_CHOICE = _("Choose one of the options in the list: the value sent is not one of them.")


class BootstrapFormMixin:
    """Give every widget the Bootstrap class for its kind (inputs, selects, checkboxes), and
    every choice field a refusal that does not echo the value sent (a crafted or stale value
    would otherwise be shown back as a raw code: "township_officer 不在可用的选项中")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if "invalid_choice" in field.error_messages:
                field.error_messages["invalid_choice"] = INVALID_CHOICE


class ServiceFieldsMixin:
    """For a ModelForm whose save goes through a service: the fields to pass it."""

    def service_fields(self) -> dict[str, Any]:
        """What the service is asked to write: on an edit, only what changed."""
        names = self.changed_data if self.instance.pk else list(self.cleaned_data)  # type: ignore[attr-defined]
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}  # type: ignore[attr-defined]


class LoginForm(AuthenticationForm):
    """The web login. A service account (another system's) is refused with a message that says
    why — after its password was checked, so the message reveals nothing to a guesser."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        from villages.selectors import is_service_account

        if is_service_account(user):
            from .audit import audit_record

            audit_record(
                action="auth.login_refused",
                actor=user,
                obj=user,
                request=self.request,
                data={"reason": "service_account"},
            )
            raise forms.ValidationError(
                _(
                    "This is a service account for another system: it works through the API only and cannot log in here."
                ),
                code="service_account",
            )


def add_service_errors(form: forms.BaseForm, exc: ValidationError | PermissionDenied) -> None:
    """A service's refusal as errors on the form, by field where the service named one."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, str(exc) or _("You may not do this."))


# One-time forms: a form whose result must not happen twice (a new password, a filed item).
NONCE_SESSION_KEY = "villages_form_nonces"
NONCE_SPENT_SECONDS = 2 * 24 * 60 * 60  # longer than a session lives unused
NONCES_KEPT = 20


def form_nonce(request: HttpRequest) -> str:
    """A one-time key for a form whose result is shown once (a new password, a token): the
    second submission of the same page is refused instead of silently making another."""
    nonce = secrets.token_urlsafe(16)
    kept = [*request.session.get(NONCE_SESSION_KEY, [])[-(NONCES_KEPT - 1) :], nonce]
    request.session[NONCE_SESSION_KEY] = kept
    return nonce


def spend_nonce(request: HttpRequest) -> bool:
    """Whether the POST carries a key issued by :func:`form_nonce` and not used yet (it is used now)."""
    nonce = request.POST.get("nonce", "")
    kept = request.session.get(NONCE_SESSION_KEY, [])
    if not nonce or nonce not in kept:
        return False
    request.session[NONCE_SESSION_KEY] = [n for n in kept if n != nonce]
    # Two submissions at once both read the session before either saves it: the cache's atomic
    # add lets exactly one of them through.
    return cache.add(f"form-nonce:{nonce}", 1, timeout=NONCE_SPENT_SECONDS)
