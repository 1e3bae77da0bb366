"""The county's reference template (基本目录参考模板) and each village's filing catalogue (归档清单)
on the staff pages: the county edits a draft version and publishes it; a village (or its
township) derives its catalogue, adopts a newer version entry by entry, marks entries not
applicable and keeps its own entries. Every rule is in :mod:`villages.catalogues`; these pages
only ask, and show its refusals."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from archives_site.filters import whole_number
from archives_site.forms import add_service_errors
from archives_site.scoping import Action, user_can, user_scope

from .. import catalogues, selectors
from ..forms import EntryForm, NotApplicableForm, TemplateForm
from ..models import (
    VILLAGE_KINDS,
    CatalogueEntry,
    CatalogueTemplate,
    Frequency,
    TemplateEntry,
    TemplateStatus,
    Unit,
    UnitKind,
    VillageCatalogue,
)
from ..roles import CATALOGUE_TEMPLATE, VILLAGE_CATALOGUE
from .common import error_text


def _form_page(
    request: HttpRequest, form: Any, heading: str, crumbs: list[tuple[str, str]], back: str, intro: str = ""
) -> HttpResponse:
    context = {"form": form, "heading": heading, "crumbs": crumbs, "back": back, "intro": intro}
    return render(request, "villages/catalogue_form.html", context)


def _template_crumbs(template: CatalogueTemplate) -> list[tuple[str, str]]:
    return [
        (_("Reference template"), reverse("villages:template-list")),
        (_("version %(n)s") % {"n": template.version}, reverse("villages:template-detail", args=[template.pk])),
    ]


def _catalogue_crumbs(unit: Unit) -> list[tuple[str, str]]:
    return [(_("Filing catalogues"), reverse("holdings:catalogue")), (unit.name, _catalogue_url(unit))]


# --- The county's template -------------------------------------------------------------------------


def _template(request: HttpRequest, pk: int) -> CatalogueTemplate:
    """A version the user may read (drafts only for its editors), else 404."""
    if not user_can(request.user, CATALOGUE_TEMPLATE, Action.VIEW):
        raise PermissionDenied
    return get_object_or_404(catalogues.visible_templates(request.user).select_related("unit"), pk=pk)


def _can_edit(user: Any, template: CatalogueTemplate) -> bool:
    return user_scope(user, CATALOGUE_TEMPLATE, Action.CHANGE).contains(template.unit_id)


class Frozen(Exception):
    """An edit of a published version: answered by a redirect to it (see :func:`frozen`)."""

    def __init__(self, template: CatalogueTemplate) -> None:
        self.template = template


def _editable_draft(request: HttpRequest, template: CatalogueTemplate) -> None:
    """Refuse an edit of a version the user may not change (403) or a published one (Frozen)."""
    if not _can_edit(request.user, template):
        raise PermissionDenied(_("Only the county keeps its reference template."))
    if template.status != TemplateStatus.DRAFT:
        raise Frozen(template)


def frozen(view: Any) -> Any:
    """A published version's edit pages send the county back to it, saying why and what to do."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Frozen as exc:
            messages.error(request, _("This version is published and frozen: start a new version to change it."))
            return redirect("villages:template-detail", pk=exc.template.pk)

    return wrapper


def _label_names() -> dict[str, dict[str, str]]:
    return {"category": dict(catalogues.category_choices()), "retention": dict(catalogues.retention_choices())}


def _name_entries(entries: list[Any]) -> list[Any]:
    """Entries with their category and retention by name, for a page."""
    names = _label_names()
    for entry in entries:
        entry.category_name = names["category"].get(entry.category_code, entry.category_code)
        entry.retention_name = names["retention"].get(entry.retention_code, entry.retention_code)
    return entries


def _shown(differences: list[catalogues.Difference]) -> list[catalogues.Difference]:
    """Differences with their changed fields as rows of (label, old, new) in words."""
    labels = {name: CatalogueEntry._meta.get_field(name).verbose_name for name in catalogues.ENTRY_FIELDS}
    labels["heading"] = _("heading")
    names = _label_names()
    frequencies = dict(Frequency.choices)

    def word(name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if name == "category_code":
            return names["category"].get(value, value)
        if name == "retention_code":
            return names["retention"].get(value, value)
        return str(frequencies.get(value, value)) if name == "frequency" else str(value)

    for difference in differences:
        difference.rows = [
            (labels.get(name, name), word(name, old), word(name, new)) for name, (old, new) in difference.fields.items()
        ]
    return differences


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    """The county's versions, newest first, with how many villages follow each; for the county,
    the way to start (from the shipped default) or to open a new draft."""
    if not user_can(request.user, CATALOGUE_TEMPLATE, Action.VIEW):
        raise PermissionDenied
    versions = list(
        catalogues.visible_templates(request.user)
        .select_related("unit", "published_by")
        .annotate(villages=Count("catalogues"))
        .order_by("unit__path", "-version")
    )
    fileable = dict(
        TemplateEntry.objects.filter(template__in=versions)
        .exclude(category_code="")
        .values_list("template")
        .annotate(n=Count("id"))
    )
    for version in versions:
        version.entry_count = fileable.get(version.pk, 0)
    counties = list(
        selectors.units_in_reach(user=request.user, resource=CATALOGUE_TEMPLATE, action=Action.CHANGE).filter(
            kind=UnitKind.COUNTY
        )
    )
    for county in counties:
        mine = [v for v in versions if v.unit_id == county.pk]
        county.draft = next((v for v in mine if v.status == TemplateStatus.DRAFT), None)
        county.has_template = bool(mine)
    return render(request, "villages/template_list.html", {"versions": versions, "counties": counties})


@login_required
@require_POST
def template_start(request: HttpRequest) -> HttpResponse:
    """Open the county's draft: the one being edited, a new version copied from the newest
    published one, or — for a county without a template — the default shipped with the system."""
    county = get_object_or_404(
        selectors.units_in_reach(user=request.user, resource=CATALOGUE_TEMPLATE, action=Action.CHANGE),
        pk=whole_number(request.POST.get("county")) or 0,
        kind=UnitKind.COUNTY,
    )
    try:
        draft, made = catalogues.template_open_draft(actor=request.user, county=county, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("villages:template-list")
    if made:
        messages.success(request, _("Version %(n)s started as a draft.") % {"n": draft.version})
    return redirect("villages:template-detail", pk=draft.pk)


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's entries by heading; on a draft, the county's edit buttons."""
    template = _template(request, pk)
    entries = _name_entries(list(template.entries.order_by(*catalogues.TREE_ORDER)))
    editable = template.status == TemplateStatus.DRAFT and _can_edit(request.user, template)
    context = {
        "template": template,
        "entries": entries,
        "editable": editable,
        "differences": _shown(catalogues.template_differences(template)) if template.version > 1 else None,
    }
    return render(request, "villages/template_detail.html", context)


@login_required
@frozen
def template_update(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template(request, pk)
    _editable_draft(request, template)
    form = TemplateForm(request.POST or None, initial={"title": template.title, "note": template.note})
    if request.method == "POST" and form.is_valid():
        try:
            catalogues.template_update(actor=request.user, template=template, request=request, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("villages:template-detail", pk=pk)
    return _form_page(
        request,
        form,
        _("Edit title and note"),
        _template_crumbs(template),
        reverse("villages:template-detail", args=[pk]),
    )


@login_required
@frozen
def template_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then publish: what this version changes, and how many villages will see it."""
    template = _template(request, pk)
    if template.status == TemplateStatus.PUBLISHED:
        messages.info(request, _("This version is already published."))
        return redirect("villages:template-detail", pk=pk)
    _editable_draft(request, template)
    if request.method == "POST":
        try:
            catalogues.template_publish(actor=request.user, template=template, request=request)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("Version %(n)s published. Each village sees what changed on its catalogue page and adopts it.")
                % {"n": template.version},
            )
            return redirect("villages:template-detail", pk=pk)
    villages = VillageCatalogue.objects.filter(template__unit_id=template.unit_id).count()
    differences = _shown(catalogues.template_differences(template))
    return render(
        request,
        "villages/template_publish.html",
        {"template": template, "differences": differences, "villages": villages},
    )


def _entry_form_page(
    request: HttpRequest, template: CatalogueTemplate, entry: TemplateEntry | None, parent: TemplateEntry | None
) -> HttpResponse:
    heading = (entry.parent_id is None) if entry is not None else parent is None
    headings = None if heading else template.entries.filter(parent__isnull=True).order_by("position", "code")
    if entry is not None:
        initial = {**entry.content(), "parent": entry.parent_id}
    else:
        initial = {"parent": parent.pk if parent else None}
    form = EntryForm(request.POST or None, heading=heading, headings=headings, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        chosen = fields.pop("parent", None)
        try:
            saved = catalogues.template_entry_save(
                actor=request.user,
                template=template,
                entry=entry,
                parent=chosen,
                request=request,
                **fields,
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Entry %(code)s saved.") % {"code": saved.code})
            return redirect(f"{reverse('villages:template-detail', args=[template.pk])}#entry-{saved.pk}")
    if entry is not None:
        title = _("Edit %(code)s %(title)s") % {"code": entry.code, "title": entry.title}
    elif parent is not None:
        title = _("A new entry under %(code)s %(title)s") % {"code": parent.code, "title": parent.title}
    else:
        title = _("A new heading")
    intro = _("A heading groups entries; villages file under its entries.") if heading else ""
    back = reverse("villages:template-detail", args=[template.pk])
    return _form_page(request, form, title, _template_crumbs(template), back, intro)


@login_required
@frozen
def template_entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new entry under ``?parent=`` (a heading of this version), or a new heading."""
    template = _template(request, pk)
    _editable_draft(request, template)
    parent = None
    if request.GET.get("parent"):
        parent = get_object_or_404(
            template.entries.filter(parent__isnull=True), pk=whole_number(request.GET.get("parent")) or 0
        )
    return _entry_form_page(request, template, None, parent)


def _template_entry(request: HttpRequest, pk: int) -> TemplateEntry:
    if not user_can(request.user, CATALOGUE_TEMPLATE, Action.VIEW):
        raise PermissionDenied
    entry = get_object_or_404(
        TemplateEntry.objects.select_related("template__unit", "parent").filter(
            template__in=catalogues.visible_templates(request.user)
        ),
        pk=pk,
    )
    _editable_draft(request, entry.template)
    return entry


@login_required
@frozen
def template_entry_update(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _template_entry(request, pk)
    return _entry_form_page(request, entry.template, entry, entry.parent)


@login_required
@frozen
def template_entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then remove an entry (a heading with its entries) from the draft."""
    entry = _template_entry(request, pk)
    back = reverse("villages:template-detail", args=[entry.template_id])
    if request.method == "POST":
        try:
            catalogues.template_entry_delete(actor=request.user, entry=entry, request=request)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Entry %(code)s removed from the draft.") % {"code": entry.code})
        return redirect(back)
    children = list(entry.children.order_by("position", "code"))
    return render(request, "villages/template_entry_delete.html", {"entry": entry, "children": children, "back": back})


# --- A village's catalogue -----------------------------------------------------------------------------


def _village(request: HttpRequest, pk: int) -> Unit:
    """A village or community whose catalogue the user may read, else 404."""
    if not user_can(request.user, VILLAGE_CATALOGUE, Action.VIEW):
        raise PermissionDenied
    unit = get_object_or_404(Unit, pk=pk, kind__in=VILLAGE_KINDS)
    if not user_scope(request.user, VILLAGE_CATALOGUE, Action.VIEW).contains(unit.pk):
        raise Http404
    return unit


def _require_catalogue_change(request: HttpRequest, unit: Unit) -> None:
    if not user_scope(request.user, VILLAGE_CATALOGUE, Action.CHANGE).contains(unit.pk):
        raise PermissionDenied(_("This filing catalogue is outside your reach."))


def _catalogue_url(unit: Unit) -> str:
    return reverse("villages:catalogue-manage", args=[unit.pk])


@login_required
def catalogue_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """A village's catalogue: what the county's newest version would change (adopted entry by
    entry), its entries with their applicability, and its own entries. A village without a
    catalogue is offered one from the county's newest published version (POST)."""
    unit = _village(request, pk)
    catalogue = VillageCatalogue.objects.select_related("template").filter(unit=unit).first()
    county = catalogues.county_of(unit)
    newest = catalogues.latest_published(county) if county else None
    if catalogue is None:
        can_derive = user_scope(request.user, VILLAGE_CATALOGUE, Action.ADD).contains(unit.pk)
        if request.method == "POST":
            if not can_derive:
                raise PermissionDenied(_("This filing catalogue is outside your reach."))
            try:
                catalogues.catalogue_derive(actor=request.user, unit=unit, request=request)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(request, _("The filing catalogue was made from the county's template."))
            return redirect(_catalogue_url(unit))
        context = {"unit": unit, "catalogue": None, "newest": newest, "can_derive": can_derive}
        return render(request, "villages/catalogue_manage.html", context)
    if request.method == "POST":  # derived already (a second click): show it
        return redirect(_catalogue_url(unit))
    entries = _name_entries(
        list(
            catalogue.entries.filter(retired_at__isnull=True).select_related("parent").order_by(*catalogues.TREE_ORDER)
        )
    )
    differences = _shown(catalogues.catalogue_differences(catalogue))
    context = {
        "unit": unit,
        "catalogue": catalogue,
        "newest": newest,
        "entries": entries,
        "differences": differences,
        "retired": catalogue.entries.filter(retired_at__isnull=False).count(),
        "can_change": user_scope(request.user, VILLAGE_CATALOGUE, Action.CHANGE).contains(unit.pk),
    }
    return render(request, "villages/catalogue_manage.html", context)


@login_required
@require_POST
def catalogue_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    """Adopt the differences ticked on the catalogue page (by entry key)."""
    unit = _village(request, pk)
    _require_catalogue_change(request, unit)
    catalogue = get_object_or_404(VillageCatalogue, unit=unit)
    keys = [key[:40] for key in request.POST.getlist("key")[:1000]]
    if not keys:
        messages.warning(request, _("Tick the changes to adopt first."))
        return redirect(_catalogue_url(unit))
    try:
        adopted = catalogues.catalogue_adopt(actor=request.user, catalogue=catalogue, keys=keys, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        if adopted:
            messages.success(request, _("%(n)s changes adopted.") % {"n": len(adopted)})
        else:
            messages.info(request, _("Nothing left to adopt: these changes were adopted already."))
    return redirect(_catalogue_url(unit))


def _catalogue_entry(request: HttpRequest, pk: int) -> CatalogueEntry:
    """A live entry of a catalogue the user may change (404 outside read reach, 403 outside write)."""
    if not user_can(request.user, VILLAGE_CATALOGUE, Action.VIEW):
        raise PermissionDenied
    entry = get_object_or_404(
        CatalogueEntry.objects.restrict(request.user, Action.VIEW).select_related("catalogue", "unit", "parent"),
        pk=pk,
        retired_at__isnull=True,
    )
    _require_catalogue_change(request, entry.unit)
    return entry


@login_required
def catalogue_entry_applicability(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an entry not applicable to the village (with the reason), or applicable again (POST
    ``applicable=1``). A heading has nothing to apply."""
    entry = _catalogue_entry(request, pk)
    if entry.is_heading:
        raise Http404
    restore = request.method == "POST" and request.POST.get("applicable") == "1"
    form = NotApplicableForm(
        None if restore else (request.POST or None), initial={"reason": entry.not_applicable_reason}
    )
    if request.method == "POST" and (restore or form.is_valid()):
        try:
            catalogues.catalogue_entry_set_applicable(
                actor=request.user,
                entry=entry,
                applicable=restore,
                reason="" if restore else form.cleaned_data["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            if restore:
                messages.error(request, error_text(exc))
                return redirect(_catalogue_url(entry.unit))
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Entry %(code)s saved.") % {"code": entry.code})
            return redirect(f"{_catalogue_url(entry.unit)}#entry-{entry.pk}")
    return _form_page(
        request,
        form,
        _("%(code)s %(title)s does not apply") % {"code": entry.code, "title": entry.title},
        _catalogue_crumbs(entry.unit),
        _catalogue_url(entry.unit),
        _(
            "A not-applicable entry does not count in the village's filing completeness. The reason is shown to the township and the inspectors."
        ),
    )


def _local_entry_page(request: HttpRequest, catalogue: VillageCatalogue, entry: CatalogueEntry | None) -> HttpResponse:
    headings = catalogue.entries.filter(retired_at__isnull=True, parent__isnull=True, category_code="").order_by(
        "position", "code"
    )
    initial = {**entry.content(), "parent": entry.parent_id} if entry is not None else {"parent": None}
    form = EntryForm(request.POST or None, heading=False, headings=headings, local=True, initial=initial)
    form.fields["parent"].required = False
    form.fields["parent"].empty_label = _("(top level)")
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        parent = fields.pop("parent", None)
        try:
            saved = catalogues.catalogue_entry_save_local(
                actor=request.user, catalogue=catalogue, entry=entry, parent=parent, request=request, **fields
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Entry %(code)s saved.") % {"code": saved.code})
            return redirect(f"{_catalogue_url(catalogue.unit)}#entry-{saved.pk}")
    title = (
        _("Edit %(code)s %(title)s") % {"code": entry.code, "title": entry.title}
        if entry
        else _("The village's own entry")
    )
    intro = _(
        "Records particular to the village (一村一品): its folk art, its mediation work, its red archives… They are filed like the county's entries."
    )
    return _form_page(request, form, title, _catalogue_crumbs(catalogue.unit), _catalogue_url(catalogue.unit), intro)


@login_required
def catalogue_entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the village's own entries (一村一品: 农民画, 船鼓, 红色档案…)."""
    unit = _village(request, pk)
    _require_catalogue_change(request, unit)
    catalogue = get_object_or_404(VillageCatalogue.objects.select_related("unit"), unit=unit)
    return _local_entry_page(request, catalogue, None)


@login_required
def catalogue_entry_update(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _catalogue_entry(request, pk)
    if not entry.is_local:
        raise Http404  # the county's entries change through a new template version
    return _local_entry_page(request, entry.catalogue, entry)
