"""Pushing open records down (推送): the pushes a user may see, a new push with a preview of what
it carries, and revoking one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from archives_site.filters import MAX_ID
from archives_site.forms import add_service_errors, form_nonce, spend_nonce
from archives_site.scoping import Action, user_can, user_scope
from villages.roles import RECORD_PUSH

from .. import pushes
from ..forms import PushForm, PushRevokeForm
from ..models import RecordPush


@login_required
def push_list(request: HttpRequest) -> HttpResponse:
    visible = RecordPush.objects.restrict(request.user, Action.VIEW).select_related("source_unit", "target_unit")
    if not user_can(request.user, RECORD_PUSH, Action.VIEW):
        raise PermissionDenied
    page = Paginator(visible.order_by("-pushed_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "holdings/push_list.html",
        {
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "may_push": user_can(request.user, RECORD_PUSH, Action.ADD),
        },
    )


@login_required
def push_new(request: HttpRequest) -> HttpResponse:
    """Choose what to push and to whom; the first submit previews the items, the second pushes."""
    if not user_can(request.user, RECORD_PUSH, Action.ADD):
        raise PermissionDenied
    form = PushForm(request.POST or None, user=request.user)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        selection = {
            "category": data["category"],
            "year_from": data["year_from"],
            "year_to": data["year_to"],
        }
        if request.POST.get("confirm") == "1":
            if not spend_nonce(request):  # a second click, a reload
                messages.info(request, _("This push was already made."))
                return redirect("holdings:push-list")
            try:
                push = pushes.push_create(
                    actor=request.user,
                    fonds=data["fonds"],
                    target=data["target_unit"],
                    title=data["title"],
                    note=data["note"],
                    request=request,
                    **selection,
                )
            except (ValidationError, PermissionDenied) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(n)s items pushed to %(unit)s.") % {"n": push.item_count, "unit": push.target_unit.name},
                )
                return redirect("holdings:push-detail", pk=push.pk)
        else:
            items = pushes.items_to_push(data["fonds"], data["target_unit"], **selection)
            preview = {"count": items.count(), "sample": list(items.order_by("reference_code", "id")[:20])}
    return render(request, "holdings/push_new.html", {"form": form, "preview": preview, "nonce": form_nonce(request)})


@login_required
def push_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if pk > MAX_ID:
        raise Http404
    push = get_object_or_404(
        RecordPush.objects.restrict(request.user, Action.VIEW).select_related(
            "source_unit", "target_unit", "pushed_by", "revoked_by"
        ),
        pk=pk,
    )
    may_revoke = push.is_active and user_scope(request.user, RECORD_PUSH, Action.CHANGE).contains(push.source_unit_id)
    form = PushRevokeForm(request.POST or None) if may_revoke else None
    if request.method == "POST":
        if form is None:
            if push.revoked_at is not None:
                messages.info(request, _("This push was already revoked."))
                return redirect("holdings:push-detail", pk=push.pk)
            raise PermissionDenied
        if form.is_valid():
            try:
                pushes.push_revoke(actor=request.user, push=push, reason=form.cleaned_data["reason"], request=request)
            except (ValidationError, PermissionDenied) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The push is revoked: its records are no longer shared."))
                return redirect("holdings:push-detail", pk=push.pk)
    return render(request, "holdings/push_detail.html", {"push": push, "form": form})
