"""Forms of the administration pages: accounts, role grants, units. They check input for people;
the services in :mod:`villages.services` still enforce every rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from archives_site.forms import BootstrapFormMixin, ServiceFieldsMixin
from archives_site.scoping import Action

from . import selectors
from .catalogues import category_choices, retention_choices
from .models import PARENT_KINDS, AccountKind, CustodyMode, Frequency, Unit, UnitKind
from .roles import ROLE_UNIT_KINDS, Role

_PASSWORD_HELP = _("Leave empty to have one generated. It is shown once; the person changes it at their first login.")


def _role_choices(roles: set[str] | frozenset[str]) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if value in roles]


class UserFilterForm(BootstrapFormMixin, forms.Form):
    """The filters of the user list."""

    q = forms.CharField(label=_("Name or username"), required=False, max_length=150)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("Active")), ("0", _("Deactivated"))],
    )
    kind = forms.ChoiceField(label=_("Account kind"), required=False, choices=[("", _("All")), *AccountKind.choices])
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False, empty_label=_("All"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.units_for_granting(actor=actor)


class UserCreateForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only; used to log in."),
        validators=[get_user_model().username_validator],
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    kind = forms.ChoiceField(label=_("Account kind"), choices=AccountKind.choices, initial=AccountKind.PERSON)
    contact = forms.CharField(
        label=_("Contact"), max_length=200, required=False, help_text=_("Service accounts: who answers for the system.")
    )
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_PASSWORD_HELP,
    )
    role = forms.ChoiceField(label=_("First role"), required=False)
    unit = forms.ModelChoiceField(label=_("On unit"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args: Any, actor: Any, county_level: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.county_level = county_level
        self.fields["role"].choices = [("", "—"), *_role_choices(selectors.grantable_roles(user=actor))]
        self.fields["unit"].queryset = selectors.units_for_granting(actor=actor)
        if not county_level:
            # Below the county level an account is made with its first role (see user_create).
            self.fields["kind"].choices = [(AccountKind.PERSON, AccountKind.PERSON.label)]
            self.fields["role"].required = self.fields["unit"].required = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if bool(cleaned.get("role")) != bool(cleaned.get("unit")) and not self.errors:
            self.add_error("unit" if cleaned.get("role") else "role", _("Give the role and the unit together."))
        return cleaned


class UserUpdateForm(BootstrapFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Account kind"), choices=AccountKind.choices)
    is_superuser = forms.BooleanField(
        label=_("Superuser (technical operator; may use Django admin)"),
        required=False,
    )

    def __init__(self, *args: Any, county_level: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not county_level:  # the county administrator's alone (the service refuses them too)
            del self.fields["kind"]
            del self.fields["is_superuser"]


class PasswordResetForm(BootstrapFormMixin, forms.Form):
    password = forms.CharField(
        label=_("New password"),
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to have one generated. It is shown once."),
    )


class GrantForm(BootstrapFormMixin, forms.Form):
    """Grant a role. On a unit's page the unit is fixed and the user is named by username; on a
    user's page the user is fixed and the unit chosen. ``role`` offers only roles the actor may
    grant at all; the service decides whether here."""

    username = forms.CharField(label=_("Username"), max_length=150)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("Role"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, actor: Any, unit: Unit | None = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = set(selectors.grantable_roles(user=actor))
        if unit is not None:
            roles = {r for r in roles if unit.kind in ROLE_UNIT_KINDS[Role(r)]}
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = selectors.units_for_granting(actor=actor)
        if user is not None:
            del self.fields["username"]
        self.fields["role"].choices = _role_choices(roles)


class UnitForm(BootstrapFormMixin, ServiceFieldsMixin, forms.ModelForm):
    """Create a unit under a parent, or edit one. A kind change and a move are the county
    administrator's (the service refuses others; the refusal shows on the form). The custody
    mode is set when a village is created; later changes have their own page."""

    class Meta:
        model = Unit
        fields = ["parent", "code", "name", "kind", "custody_mode", "address", "is_active"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = Action.CHANGE if self.instance.pk else Action.ADD
        parents = Unit.objects.restrict(actor, action).filter(is_active=True).order_by("path")
        self.fields["parent"].queryset = parents
        self.fields["custody_mode"].choices = [("", "—"), *CustodyMode.choices]
        parent = (
            self.instance.parent if self.instance.pk else parents.filter(pk=self.initial.get("parent") or 0).first()
        )
        if parent is not None and not self.is_bound:  # offer the kinds that fit under the parent
            kinds = {kind for kind, parents in PARENT_KINDS.items() if parent.kind in parents}
            if self.instance.pk:
                kinds.add(self.instance.kind)
            self.fields["kind"].choices = [(value, label) for value, label in UnitKind.choices if value in kinds]
        if self.instance.pk:
            # Any unit may be a parent of another (as the kinds allow), except itself and below.
            # The parent it has now stays a choice (only the county administrator moves a unit).
            parents = parents | Unit.objects.filter(pk=self.instance.parent_id)
            self.fields["parent"].queryset = parents.exclude(path__startswith=self.instance.path)
            if self.instance.parent_id is None:
                del self.fields["parent"]
            # A change of custody is dated, reasoned and moves records: its own page (holdings).
            del self.fields["custody_mode"]
        else:
            del self.fields["is_active"]


class TemplateForm(BootstrapFormMixin, forms.Form):
    """A template version's title and note (what it changes, and its basis)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What this version changes, and its basis."),
    )


class EntryForm(BootstrapFormMixin, forms.Form):
    """An entry of the county's template, or one of a village's own entries (一村一品). A heading
    groups entries and has no category or retention; ``headings`` offers where an entry goes."""

    parent = forms.ModelChoiceField(label=_("Heading"), queryset=Unit.objects.none(), required=False)
    code = forms.CharField(label=_("Code"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)
    scope_note = forms.CharField(
        label=_("Filing scope"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What belongs here."),
    )
    category_code = forms.ChoiceField(label=_("Category"))
    retention_code = forms.ChoiceField(label=_("Retention"))
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    required = forms.BooleanField(label=_("Required (counts in completeness)"), required=False)
    for_villages = forms.BooleanField(label=_("Applies to villages"), required=False, initial=True)
    for_communities = forms.BooleanField(label=_("Applies to communities"), required=False, initial=True)

    def __init__(self, *args: Any, heading: bool, headings: Any = None, local: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if headings is None:
            del self.fields["parent"]
        else:
            self.fields["parent"].queryset = headings
            self.fields["parent"].required = True
        if heading:
            for name in ("category_code", "retention_code", "frequency", "required", "for_villages", "for_communities"):
                del self.fields[name]
            return
        self.fields["category_code"].choices = [("", "—"), *category_choices()]
        self.fields["retention_code"].choices = [("", "—"), *retention_choices()]
        if local:  # the village's own entry applies to the village
            del self.fields["for_villages"]
            del self.fields["for_communities"]


class NotApplicableForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why it does not apply"),
        max_length=200,
        help_text=_("For example: the village has no collective enterprise."),
    )
