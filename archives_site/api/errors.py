"""JSON errors with a message a person can act on, in the language of ``Accept-Language``.

Every error body has ``detail`` (one human sentence) and ``code``; validation errors add
``fields`` (field → list of messages).
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

MESSAGES = {
    "not_authenticated": lambda: _(
        "Log in first: send 'Authorization: Token <key>' (get a key from POST /api/v1/auth/token/)."
    ),
    "authentication_failed": lambda: _("The token or the login details are not valid."),
    "permission_denied": lambda: _("Your roles do not allow this action here."),
    "not_found": lambda: _("Not found, or outside the units you can reach."),
    "method_not_allowed": lambda: _("This method is not allowed on this address."),
    "throttled": lambda: _("Too many requests; try again later."),
    "bad_request": lambda: _("The request is not valid."),
    "server_error": lambda: _("Something went wrong on the server; the error has been logged. Try again later."),
}

# Codes of the errors answered outside DRF's views (Django's own 400/404, any 500).
STATUS_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    500: "server_error",
}


def error_body(status_code: int) -> dict[str, str]:
    """The JSON body of an error answered outside DRF (see ``archives_site.middleware``)."""
    code = STATUS_CODES.get(status_code, "server_error" if status_code >= 500 else "bad_request")
    return {"detail": str(MESSAGES[code]()), "code": code}


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (for the schema)."""

    detail = serializers.CharField(help_text="One sentence a person can act on.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. invalid, not_found.")
    fields = serializers.JSONField(required=False, help_text="Validation errors: field → list of messages.")


_ERROR = OpenApiResponse(ErrorSerializer, description="An error: {detail, code}, with fields for invalid data.")
# The errors any scoped endpoint may answer, to declare on actions (``responses={200: …, **ERROR_RESPONSES}``).
ERROR_RESPONSES = {400: _ERROR, 401: _ERROR, 403: _ERROR, 404: _ERROR}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args or ()))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        first = _first_message(fields)
        response.data = {
            "detail": _("The data is not valid: %(first)s") % {"first": first}
            if first
            else _("The data is not valid."),
            "code": "invalid",
            "fields": fields,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response

    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "error"
    detail = str(exc.detail) if isinstance(exc.detail, str) else ""
    default = str(type(exc).default_detail)
    if code in MESSAGES and (not detail or detail == default):
        detail = str(MESSAGES[code]())
    response.data = {"detail": detail or default, "code": code}
    return response


def _first_message(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            label = "" if key in ("non_field_errors", "__all__") else f"{key}: "
            message = _first_message(value, label)
            if message:
                return message
    elif isinstance(errors, list) and errors:
        return _first_message(errors[0], prefix)
    elif errors:
        return f"{prefix}{errors}"
    return ""


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with the error responses every operation may give declared
    (``{detail, code}``), so clients — and the schema fuzzing — know their shape too."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400", "403", "404"]
        if self.view.authentication_classes:  # the token endpoint itself takes no credentials
            codes.insert(1, "401")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(_ERROR, code, direction=direction)
        return responses


class OneObjectSchema(AutoSchema):
    """For a ``list`` that answers one object (a report over a query), not an array of rows."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False
