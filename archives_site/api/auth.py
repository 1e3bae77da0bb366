"""API authentication: ``Authorization: Token <key>`` (:mod:`archives_site.tokens`) and the token
endpoints — issue (username and password, with failed-login throttling), revoke and rotate."""

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from archives_site import login_throttle
from archives_site.api.authentication import ApiTokenAuthentication
from archives_site.audit import audit_record
from archives_site.models import ApiToken
from archives_site.tokens import api_token_issue, api_token_revoke, api_token_rotate


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


TokenResponse = inline_serializer("TokenResponse", {"token": serializers.CharField()})


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class TokenView(APIView):
    """Exchange a username and password for a new API token (valid ``API_TOKEN_TTL_HOURS``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Any) -> str:
        return "Token"  # wrong credentials are a 401, as for every other endpoint

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponse}, tags=["auth"])
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
        token, key = api_token_issue(user=user)
        audit_record(action="auth.token", actor=user, obj=user, request=request, data={"token": token.pk})
        return Response({"token": key})


class _CallerTokenView(APIView):
    """Acts on the token the request was made with."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def caller_token(self, request: Any) -> ApiToken:
        if not isinstance(request.auth, ApiToken):  # pragma: no cover - only token auth is accepted
            raise exceptions.NotAuthenticated()
        return request.auth


class TokenRevokeView(_CallerTokenView):
    """Revoke the token this request is made with."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Any) -> Response:
        api_token_revoke(token=self.caller_token(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRotateView(_CallerTokenView):
    """Replace the token this request is made with by a new one; the old one stops working."""

    @extend_schema(request=None, responses={200: TokenResponse}, tags=["auth"])
    def post(self, request: Any) -> Response:
        _token, key = api_token_rotate(token=self.caller_token(request), request=request)
        return Response({"token": key})
