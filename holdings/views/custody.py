"""Changing who keeps a village's records (村档村管 / 村档乡管 / 托管), with its history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from archives_site.forms import add_service_errors
from archives_site.scoping import Action, user_scope
from villages.models import VILLAGE_KINDS, CustodyChange, Unit
from villages.roles import UNIT

from ..custody import custody_change
from ..forms import CustodyChangeForm


@login_required
def custody_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A village's custody history, and the form to record a change (for who may change the unit)."""
    village = get_object_or_404(Unit.objects.filter(kind__in=VILLAGE_KINDS), pk=pk)
    if not user_scope(request.user, UNIT, Action.VIEW).contains(village.pk):
        raise Http404
    may_change = user_scope(request.user, UNIT, Action.CHANGE).contains(village.pk)
    if request.method == "POST" and not may_change:
        raise PermissionDenied
    form = CustodyChangeForm(request.POST or None, user=request.user, village=village) if may_change else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                custody_change(
                    actor=request.user,
                    village=village,
                    mode=data["mode"],
                    keeper=data["keeper"],
                    effective_date=data["effective_date"],
                    reason=data["reason"],
                    request=request,
                )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The change of custody is recorded and the records have moved."))
            return redirect("holdings:custody", pk=village.pk)
    history = CustodyChange.objects.filter(unit=village).select_related("keeper", "changed_by")
    return render(request, "holdings/custody.html", {"village": village, "form": form, "history": history})
