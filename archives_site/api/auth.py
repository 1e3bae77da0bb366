"""``POST /api/v1/auth/token/``: username and password → a token, with failed-login throttling."""

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from archives_site import login_throttle
from archives_site.audit import audit_record


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class TokenView(APIView):
    """Exchange a username and password for an API token (the same token on every call)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Any) -> str:
        return "Token"  # wrong credentials are a 401, as for every other endpoint

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        tags=["auth"],
    )
    def post(self, request: Any) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        if login_throttle.is_locked_out(request, username):
            raise LockedOut(
                _("Too many failed logins. Try again in %(minutes)d minutes.")
                % {"minutes": login_throttle.lockout_minutes()}
            )
        user = authenticate(request=request, username=username, password=serializer.validated_data["password"])
        if user is None:
            login_throttle.note_failure(request, username)
            raise exceptions.AuthenticationFailed(_("Wrong username or password."))
        login_throttle.clear_failures(request, username)
        token, _created = Token.objects.get_or_create(user=user)
        audit_record(action="auth.token", actor=user, obj=user, request=request)
        return Response({"token": token.key})
