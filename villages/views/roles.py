"""Granting and revoking roles, from a unit's page, a user's page or the role list. The rules
are the services' (:func:`villages.services.role_assignment_create` and ``…_delete``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from archives_site.models import AuditEvent
from archives_site.scoping import Action, user_can

from .. import services
from ..forms import GrantForm
from ..models import RoleAssignment, Unit
from ..roles import ROLE_ASSIGNMENT, Role
from .common import error_text, positive_int, safe_next


@login_required
@require_POST
def role_grant(request: HttpRequest) -> HttpResponse:
    """Grant a role: ``username`` (or ``user`` id from a user's page), ``unit``, ``role``. The
    answer goes back to the page the form was on, with what happened as a message."""
    if not user_can(request.user, ROLE_ASSIGNMENT, Action.ADD):
        raise PermissionDenied
    back = safe_next(request, reverse("villages:role-list"))
    data = request.POST.copy()
    user = None
    user_id = positive_int(data.get("user"))
    User = get_user_model()
    if user_id is not None:
        user = User.objects.filter(pk=user_id).first()
    elif data.get("username"):
        user = User.objects.filter(username=data["username"].strip()).first()
    data.setdefault("username", user.get_username() if user is not None else "-")
    form = GrantForm(data, actor=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}：{' '.join(errors)}" if label else " ".join(errors))
        return redirect(back)
    unit: Unit = form.cleaned_data["unit"]
    role = form.cleaned_data["role"]
    try:
        # An unknown username reads like an account out of reach (never reveals which exist).
        services.role_assignment_create(
            actor=request.user, user=user, role=role, unit=unit, note=form.cleaned_data["note"], request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("Granted the role “%(role)s” on %(unit)s to %(user)s.")
            % {"role": Role(role).label, "unit": unit.name, "user": user.get_full_name() or user.get_username()},
        )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: confirm; POST: revoke. An assignment out of sight is 404; a repeated revoke of one
    this user just revoked says so instead."""
    if not user_can(request.user, ROLE_ASSIGNMENT, Action.DELETE):
        raise PermissionDenied
    back = safe_next(request, reverse("villages:role-list"))
    assignment = (
        RoleAssignment.objects.restrict(request.user, Action.VIEW).select_related("user", "unit").filter(pk=pk).first()
    )
    if assignment is None:
        already = AuditEvent.objects.filter(
            action="role.revoke", object_type="villages.roleassignment", object_id=str(pk), actor_id=request.user.pk
        ).exists()
        if already and request.method == "POST":
            messages.info(request, _("This role was already revoked."))
            return redirect(back)
        raise Http404
    if not services.mark_revocable(actor=request.user, assignments=[assignment])[0].revocable:
        raise PermissionDenied(_("You may not revoke the role “%(role)s”.") % {"role": assignment.get_role_display()})
    if request.method == "POST":
        try:
            services.role_assignment_delete(actor=request.user, assignment=assignment, request=request)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("Revoked the role “%(role)s” on %(unit)s from %(user)s.")
                % {
                    "role": assignment.get_role_display(),
                    "unit": assignment.unit.name,
                    "user": assignment.user.get_full_name() or assignment.user.get_username(),
                },
            )
        return redirect(back)
    return render(request, "villages/role_revoke.html", {"assignment": assignment, "next": back})
