"""People and accounts (人员与账号): list, create, edit, deactivate, reset a password, roles and,
for service accounts, API tokens. Who may: :func:`villages.selectors.users_in_grant_reach`
(whom one sees) and :func:`villages.services.may_administer` (whom one may change)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from archives_site.forms import BootstrapFormMixin, add_service_errors, form_nonce, spend_nonce
from archives_site.models import ApiToken
from archives_site.scoping import Action, user_can
from archives_site.security import never_store
from archives_site.tokens import api_tokens_live

from .. import selectors, services
from ..forms import GrantForm, PasswordResetForm, UserCreateForm, UserFilterForm, UserUpdateForm
from ..models import AccountKind
from ..roles import ROLE_ASSIGNMENT
from .common import error_text, safe_next

USERS_PER_PAGE = 50


def _require_user_admin(request: HttpRequest) -> None:
    """The user pages are for those who grant roles (the county administrator, township officers)."""
    if not user_can(request.user, ROLE_ASSIGNMENT, Action.ADD):
        raise PermissionDenied


def _visible_user(request: HttpRequest, pk: int) -> Any:
    """An account in the actor's reach, else 404 (out of reach reads as unknown)."""
    return get_object_or_404(selectors.users_in_grant_reach(actor=request.user).select_related("account"), pk=pk)


def _administered_user(request: HttpRequest, pk: int) -> Any:
    """An account the actor may change: unknown or out of reach 404, seen but not theirs 403."""
    user = _visible_user(request, pk)
    if not services.may_administer(actor=request.user, user=user):
        raise PermissionDenied(
            _("You cannot change this account: it holds roles you may not grant, or works outside your reach.")
        )
    return user


def _county_level(request: HttpRequest) -> bool:
    return services.is_county_level(request.user)


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_user_admin(request)
    form = UserFilterForm(request.GET or None, actor=request.user)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "q": data["q"].strip() or None,
            "active": {"1": True, "0": False}.get(data["active"]),
            "kind": data["kind"] or None,
            "unit": data["unit"],
        }
    users = selectors.user_list(actor=request.user, **filters) if form.is_valid() or not form.is_bound else None
    page = Paginator(users if users is not None else [], USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "villages/user_list.html",
        {"form": form, "page_obj": page, "users": page.object_list, "is_paginated": page.has_other_pages()},
        status=200 if users is not None else 400,
    )


@login_required
@never_store
def user_create(request: HttpRequest) -> HttpResponse:
    """Create an account; its initial password is shown once, on the page that answers."""
    _require_user_admin(request)
    county = _county_level(request)
    form = UserCreateForm(request.POST or None, actor=request.user, county_level=county)
    if request.method == "POST":
        if not spend_nonce(request):
            messages.warning(request, _("This form was already sent: the account list shows whether it was created."))
            return redirect("villages:user-list")
        if form.is_valid():
            data = form.cleaned_data
            try:
                user, password = services.user_create(
                    actor=request.user,
                    request=request,
                    username=data["username"],
                    full_name=data["full_name"],
                    email=data["email"],
                    kind=data["kind"],
                    contact=data["contact"],
                    password=data["password"],
                    role=data["role"],
                    unit=data["unit"],
                )
            except (ValidationError, PermissionDenied) as exc:
                add_service_errors(form, exc)
            else:
                return _secret_page(
                    request,
                    user,
                    title=_("The account is created"),
                    secret=password,
                    what=_("Initial password"),
                    shown=not data["password"],
                )
    return render(
        request, "villages/user_form.html", {"form": form, "account_user": None, "nonce": form_nonce(request)}
    )


def _secret_page(request: HttpRequest, user: Any, *, title: str, secret: str, what: str, shown: bool) -> HttpResponse:
    """The one page that shows a password or token (never stored by the browser)."""
    return render(
        request,
        "villages/secret_once.html",
        {"account_user": user, "title": title, "secret": secret if shown else "", "what": what},
    )


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_user_admin(request)
    user = _visible_user(request, pk)
    actor = request.user
    roles = selectors.user_role_rows(actor=actor, user=user)
    services.mark_revocable(actor=actor, assignments=roles)
    kind = selectors.account_kind(user=user)
    context: dict[str, Any] = {
        "account_user": user,
        "account": getattr(user, "account", None),
        "is_service": kind == AccountKind.SERVICE,
        "kind_label": AccountKind(kind).label,
        "roles": roles,
        "can_administer": services.may_administer(actor=actor, user=user),
        "tokens": api_tokens_live(user=user),
        "is_self": user.pk == actor.pk,
    }
    if user.is_active and services.may_grant_to(actor=actor, user=user):
        context["grant_form"] = GrantForm(actor=actor, user=user)
    if context["can_administer"]:
        context["nonce"] = form_nonce(request)
    return render(request, "villages/user_detail.html", context)


@login_required
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_user_admin(request)
    user = _administered_user(request, pk)
    account = services.account_for(user)
    initial = {
        "full_name": user.first_name,
        "email": user.email,
        "contact": account.contact,
        "note": account.note,
        "kind": account.kind,
        "is_superuser": user.is_superuser,
    }
    form = UserUpdateForm(request.POST or None, initial=initial, county_level=_county_level(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(
                actor=request.user,
                user=user,
                request=request,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("villages:user-detail", pk=pk)
    return render(request, "villages/user_form.html", {"form": form, "account_user": user})


def _set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    _require_user_admin(request)
    user = _administered_user(request, pk)
    try:
        changed = services.user_set_active(actor=request.user, user=user, active=active, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        name = user.get_full_name() or user.get_username()
        if not changed:
            messages.info(request, _("Nothing changed: the account was already in that state."))
        elif active:
            messages.success(request, _("%(name)s's account is active again.") % {"name": name})
        else:
            messages.success(request, _("%(name)s's account is deactivated: it can no longer log in.") % {"name": name})
    return redirect(safe_next(request, reverse("villages:user-detail", args=[pk])))


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, False)


@login_required
@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, True)


@login_required
@never_store
@require_http_methods(["GET", "POST"])
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form (a chosen password, or none to generate one); POST: reset and show it once."""
    _require_user_admin(request)
    user = _administered_user(request, pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST":
        if not spend_nonce(request):
            messages.warning(
                request,
                _("This form was already sent: the password was reset once. Reset it again if it was not noted."),
            )
            return redirect("villages:user-detail", pk=pk)
        if form.is_valid():
            chosen = form.cleaned_data["password"]
            try:
                password = services.user_password_reset(actor=request.user, user=user, password=chosen, request=request)
            except (ValidationError, PermissionDenied) as exc:
                add_service_errors(form, exc)
            else:
                return _secret_page(
                    request,
                    user,
                    title=_("The password is reset"),
                    secret=password,
                    what=_("New password"),
                    shown=not chosen,
                )
    return render(
        request,
        "villages/user_password_reset.html",
        {"form": form, "account_user": user, "nonce": form_nonce(request)},
    )


@login_required
@never_store
@require_POST
def user_token_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue an API token to a service account; the key is on the answering page only."""
    _require_user_admin(request)
    user = _administered_user(request, pk)
    if not spend_nonce(request):
        messages.warning(
            request, _("This form was already sent: one token was issued. Revoke it below if its key was not noted.")
        )
        return redirect("villages:user-detail", pk=pk)
    try:
        token, key = services.service_token_issue(actor=request.user, user=user, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("villages:user-detail", pk=pk)
    return render(
        request,
        "villages/secret_once.html",
        {"account_user": user, "title": _("API token issued"), "secret": key, "what": _("API token"), "token": token},
    )


@login_required
@require_POST
def user_token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    _require_user_admin(request)
    user = _administered_user(request, pk)
    token = get_object_or_404(ApiToken.objects.filter(user=user), pk=token_pk)
    try:
        revoked = services.service_token_revoke(actor=request.user, user=user, token=token, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Token revoked.") if revoked else _("This token was already revoked."))
    return redirect("villages:user-detail", pk=pk)


class OwnPasswordChangeForm(BootstrapFormMixin, PasswordChangeForm):
    """Django's form (old password, new one twice, the password validators) with the site's look."""


@login_required
@never_store
def password_change(request: HttpRequest) -> HttpResponse:
    """The signed-in person changes their own password (required after an administrator set it)."""
    form = OwnPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.user_password_changed(user=user, request=request)
        messages.success(request, _("Your password is changed."))
        return redirect(safe_next(request, "/"))
    must = selectors.account_must_change_password(user=request.user)
    return render(
        request, "villages/password_change.html", {"form": form, "must_change": must, "next": safe_next(request, "")}
    )
