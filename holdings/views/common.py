"""What the holdings pages share: the role check and the filtered list of records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from archives_site.scoping import Action, user_can
from villages.roles import HOLDINGS

from .. import selectors
from ..filtersets import ItemFilterSet, VolumeFilterSet
from ..forms import ItemFilterForm
from ..models import Item, Volume


def require_holdings(user: Any, action: Action = Action.VIEW) -> None:
    if not user_can(user, HOLDINGS, action):
        raise PermissionDenied


def filtered(request: HttpRequest, model: type[Item] | type[Volume]) -> tuple[Any, ItemFilterForm]:
    """The user's visible items or volumes narrowed by the list's filters (not yet by the search)."""
    form = ItemFilterForm(request.GET or None, user=request.user)
    label_any_as_all(form)
    qs = selectors.visible(model, user=request.user)
    data = {k: v for k, v in request.GET.items() if k != "q"}
    filterset = (ItemFilterSet if model is Item else VolumeFilterSet)(data, queryset=qs, request=request)
    return (filterset.qs if filterset.is_valid() else qs.none()), form


def label_any_as_all(form: forms.Form) -> None:
    """Every choice of a filter form that filters nothing reads "全部" (not "---------")."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = _("All")
        elif isinstance(field, forms.ChoiceField):
            field.choices = [("", _("All")), *((value, label) for value, label in field.choices if value != "")]
