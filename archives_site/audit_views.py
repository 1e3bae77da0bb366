"""The audit log page (审计日志): who did what to which record, in the reader's language, within
their reach (:func:`archives_site.audit.audit_events`), filtered, paged by ``seq`` (keyset),
exported (CSV, XLSX; audited), with the chain's last verification and a button to start one.

Reading the log is not audited (it would double the log with its own reading); exporting it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from .audit import (
    audit_events,
    audit_reach,
    audit_record,
    audit_verification_latest,
    audit_verification_pending,
    audit_verification_start,
    can_verify_audit,
    describe_problem,
    verification_starter,
)
from .audit_names import (
    FILTERED_TYPES,
    action_choices,
    action_label,
    data_label,
    object_model,
    object_type_choices,
    object_type_label,
    value_label,
)
from .filters import MAX_ID, whole_number
from .forms import BootstrapFormMixin
from .models import AuditEvent
from .scoping import Action

PAGE_SIZE = 50

# Object types whose record page the log links to (when it still exists and the reader may see it).
OBJECT_PAGES = {
    "holdings.item": "holdings:item-detail",
    "holdings.volume": "holdings:volume-detail",
    "holdings.fonds": "holdings:fonds-detail",
    "villages.unit": "villages:unit-detail",
}
# Records whose descriptive fields a reader without the restricted-holdings right never sees.
CATALOGUE_RECORD_TYPES = ("holdings.item", "holdings.volume")


def require_audit_reader(user: Any) -> None:
    if not audit_reach(user):
        raise PermissionDenied(_("The audit log is for the county administrator, township officers and archivists."))


# --- Filters ---------------------------------------------------------------------------------------


class BoundedUnitField(forms.ModelChoiceField):
    """A unit choice that refuses a non-number or a number beyond a database integer as an invalid
    choice (a form error, never a database error)."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        number = whole_number(str(value), 0, MAX_ID)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(number)


class AuditFilterForm(BootstrapFormMixin, forms.Form):
    """The audit page's filters. Every one narrows what the reader may read already."""

    person = forms.CharField(
        label=gettext_lazy("Person"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Username or full name"),
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    object_id = forms.IntegerField(label=gettext_lazy("Object ID"), min_value=1, max_value=MAX_ID, required=False)
    code = forms.CharField(
        label=gettext_lazy("Reference code"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("档号 of an item or volume, or a fonds number"),
    )
    unit = BoundedUnitField(label=gettext_lazy("Unit"), queryset=None, required=False)
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from villages.models import Unit

        all_label = _("All")
        self.fields["action"].choices = [("", all_label), *action_choices()]
        self.fields["object_type"].choices = [("", all_label), *object_type_choices()]
        self.fields["unit"].queryset = Unit.objects.restrict(user, Action.VIEW).filter(is_active=True).order_by("path")
        self.fields["unit"].empty_label = all_label

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", _("Choose the object type of the object ID."))
        return data


def _person_condition(text: str) -> Q:
    """Events by the person named ``text``: by username (also a failed login's typed name, kept
    without an account) or by full name."""
    users = (
        get_user_model()
        .objects.filter(Q(username__iexact=text) | Q(first_name=text) | Q(last_name=text))
        .values_list("pk", flat=True)[:100]
    )
    ids = list(users)
    condition = Q(actor_name=text)
    return condition | Q(actor_id__in=ids) if ids else condition


def _code_condition(text: str) -> Q:
    """Events on the item, volume or fonds with this 档号 (or fonds number)."""
    from holdings.models import Fonds, Item, Volume

    condition = Q(pk__in=[])
    for object_type, model, field_name in (
        ("holdings.item", Item, "reference_code"),
        ("holdings.volume", Volume, "reference_code"),
        ("holdings.fonds", Fonds, "code"),
    ):
        ids = [str(pk) for pk in model.objects.filter(**{field_name: text}).values_list("pk", flat=True)[:50]]
        if ids:
            condition |= Q(object_type=object_type, object_id__in=ids)
    return condition


def filtered_events(user: Any, data: dict[str, Any]) -> QuerySet[AuditEvent]:
    """The events ``user`` may read narrowed by the cleaned filters, newest first."""
    qs = audit_events(user=user)
    if data.get("person"):
        qs = qs.filter(_person_condition(data["person"].strip()))
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"])
        if data.get("object_id"):
            qs = qs.filter(object_id=str(data["object_id"]))
    if data.get("code"):
        qs = qs.filter(_code_condition(data["code"].strip()))
    if data.get("unit") is not None:
        from villages.models import Unit

        qs = qs.filter(unit_id__in=Unit.objects.descendants_of(data["unit"]).values("pk"))
    zone = timezone.get_current_timezone()
    # Dates a log cannot hold (year 1, year 9999) are no bound: nothing lies beyond them, and the
    # time zone's offset would carry them out of the calendar.
    if data.get("date_from") and data["date_from"] > dt.date(1900, 1, 1):
        qs = qs.filter(at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=zone))
    if data.get("date_to") and data["date_to"] < dt.date(9000, 1, 1):
        qs = qs.filter(at__lt=dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    return qs


# --- Presenting events -------------------------------------------------------------------------------


@dataclass
class EventRow:
    """One event as the page and the exports show it."""

    event: AuditEvent
    actor: str
    action: str
    object_type: str
    object_label: str
    object_url: str | None
    unit: str
    details: list[tuple[str, str]] = field(default_factory=list)
    withheld: bool = False

    @property
    def details_text(self) -> str:
        return "；".join(f"{label}: {value}" for label, value in self.details)


class _Presenter:
    """Turns a page of events into rows: one query per object type for links and restrictions,
    one for the unit names the details mention."""

    def __init__(self, user: Any, events: list[AuditEvent]) -> None:
        self.user = user
        self.visible: dict[str, set[str]] = {}
        self.records: dict[tuple[str, str], Any] = {}
        by_type: dict[str, set[str]] = {}
        for event in events:
            if event.object_type and whole_number(event.object_id, 0, MAX_ID) is not None:
                by_type.setdefault(event.object_type, set()).add(event.object_id)
        for object_type, ids in by_type.items():
            model = object_model(object_type)
            if model is None:
                continue
            if object_type in OBJECT_PAGES and hasattr(model.objects, "restrict"):
                self.visible[object_type] = {
                    str(pk)
                    for pk in model.objects.restrict(user, Action.VIEW).filter(pk__in=ids).values_list("pk", flat=True)
                }
            if object_type in CATALOGUE_RECORD_TYPES:
                # Unscoped on purpose: only to tell whether the record is restricted now (its
                # values are withheld from a reader without the right); nothing of it is shown.
                for record in model.objects.filter(pk__in=ids).only(
                    "pk", "reference_code", "classification", "open_status", "custodian_unit_id", "creating_unit_id"
                ):
                    self.records[(object_type, str(record.pk))] = record
        self.unit_names = self._unit_names(events)

    @staticmethod
    def _unit_names(events: list[AuditEvent]) -> dict[int | str, str]:
        from villages.models import Unit

        ids: set[int] = set()
        codes: set[str] = set()
        for event in events:
            for key, value in _walk(event.data):
                if key.endswith("unit_id") and isinstance(value, int):
                    ids.add(value)
                elif key == "unit" and isinstance(value, str):  # a role event names its unit by code
                    codes.add(value)
        names: dict[int | str, str] = {}
        if ids:
            names.update(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
        if codes:
            names.update(
                (code, f"{name}（{code}）")
                for code, name in Unit.objects.filter(code__in=codes).values_list("code", "name")
            )
        return names

    def withheld(self, event: AuditEvent) -> bool:
        """Whether the event's record is restricted beyond the reader's right (or gone: fail closed)."""
        if event.object_type not in CATALOGUE_RECORD_TYPES:
            return False
        from holdings.selectors import can_view_restricted

        record = self.records.get((event.object_type, event.object_id))
        if record is None:
            return True
        return record.is_restricted and not can_view_restricted(user=self.user, record=record)

    def row(self, event: AuditEvent) -> EventRow:
        withheld = self.withheld(event)
        object_label = event.object_repr
        if withheld:
            record = self.records.get((event.object_type, event.object_id))
            code = record.reference_code if record is not None else ""
            object_label = code or f"#{event.object_id}"
        url = None
        route = OBJECT_PAGES.get(event.object_type)
        if route and event.object_id in self.visible.get(event.object_type, set()):
            try:
                url = reverse(route, args=[int(event.object_id)])
            except NoReverseMatch:
                url = None
        return EventRow(
            event=event,
            actor=_actor_display(event),
            action=action_label(event.action),
            object_type=object_type_label(event.object_type),
            object_label=object_label,
            object_url=url,
            unit=event.unit.name if event.unit_id is not None and event.unit is not None else "",
            details=self.details(event, withheld),
            withheld=withheld,
        )

    def details(self, event: AuditEvent, withheld: bool) -> list[tuple[str, str]]:
        from holdings.selectors import WITHHELD_FIELDS

        hidden = _("(withheld: restricted record)")
        lines = []
        for key, value in (event.data or {}).items() if isinstance(event.data, dict) else []:
            label = data_label(event.object_type, key)
            if withheld and key in WITHHELD_FIELDS:
                lines.append((label, hidden))
                continue
            lines.append((label, self.value_text(event.object_type, key, value)))
        return lines

    def value_text(self, object_type: str, key: str, value: Any) -> str:
        if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, dict | list) for v in value):
            before, after = (self.value_text(object_type, key, v) for v in value)
            return f"{before or '—'} → {after or '—'}"
        if isinstance(value, dict):
            if not value:
                return "—"
            inner = FILTERED_TYPES.get(object_type, object_type) if key == "filters" else object_type
            return "，".join(f"{data_label(inner, k)}: {self.value_text(inner, k, v)}" for k, v in value.items())
        if isinstance(value, list):
            return "、".join(self.value_text(object_type, key, v) for v in value)
        if value is None:
            return ""
        if (key.endswith("unit_id") and isinstance(value, int)) or (key == "unit" and isinstance(value, str)):
            return self.unit_names.get(value, str(value))
        return value_label(object_type, key, value)


def _walk(data: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [pair for k, v in data.items() for pair in _walk(v, str(k))]
    if isinstance(data, list):
        return [pair for v in data for pair in _walk(v, key)]
    return [(key, data)]


def _actor_display(event: AuditEvent) -> str:
    """The full name and the username; the recorded name when the account is gone (or none)."""
    user = event.actor if event.actor_id is not None else None
    if user is not None:
        name = user.get_full_name()
        return f"{name}（{user.get_username()}）" if name else user.get_username()
    if event.actor_name == "system":
        return _("System")
    return event.actor_name or "—"


def present(user: Any, events: list[AuditEvent]) -> list[EventRow]:
    presenter = _Presenter(user, events)
    return [presenter.row(event) for event in events]


# --- Pages ---------------------------------------------------------------------------------------------


def _seq_param(request: HttpRequest, name: str) -> int | None:
    return whole_number(request.GET.get(name), 1, MAX_ID)


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """The log newest first, 50 a page, paged by ``seq``: ``after`` goes to older events,
    ``before`` back to newer ones (each an index range, however long the log)."""
    require_audit_reader(request.user)
    form = AuditFilterForm(request.GET or None, user=request.user)
    rows: list[EventRow] = []
    older = newer = None
    if not form.is_bound or form.is_valid():
        qs = filtered_events(request.user, form.cleaned_data if form.is_bound else {})
        qs = qs.select_related("actor", "unit")
        after, before = _seq_param(request, "after"), _seq_param(request, "before")
        if before is not None:
            page = list(qs.filter(seq__gt=before).order_by("seq")[: PAGE_SIZE + 1])
            has_newer = len(page) > PAGE_SIZE
            events = list(reversed(page[:PAGE_SIZE]))
            has_older = bool(events) and qs.filter(seq__lt=events[-1].seq).exists()
        else:
            page = list((qs.filter(seq__lt=after) if after is not None else qs)[: PAGE_SIZE + 1])
            has_older = len(page) > PAGE_SIZE
            events = page[:PAGE_SIZE]
            has_newer = after is not None and bool(events) and qs.filter(seq__gt=events[0].seq).exists()
        rows = present(request.user, events)
        older = events[-1].seq if has_older and events else None
        newer = events[0].seq if has_newer and events else None
    context = {
        "form": form,
        "rows": rows,
        "older": older,
        "newer": newer,
        "can_verify": can_verify_audit(request.user),
        "verification": audit_verification_latest(),
        "pending": audit_verification_pending(),
        "export_max": settings.AUDIT_EXPORT_MAX_ROWS,
    }
    if context["verification"] is not None:
        context["verification_by"] = verification_starter(context["verification"])
        context["problems"] = [describe_problem(p) for p in context["verification"].problems]
    response = render(request, "audit/event_list.html", context)
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_POST
def audit_verify_start(request: HttpRequest) -> HttpResponse:
    """The county administrator starts a verification of the whole chain (a second click while
    one is queued or running starts nothing more)."""
    if not can_verify_audit(request.user):
        raise PermissionDenied(_("Only the county administrator can start a verification of the audit log."))
    _verification, created = audit_verification_start(actor=request.user)
    if created:
        messages.success(request, _("Verification started. Its result appears here when it finishes."))
    else:
        messages.info(request, _("A verification is already under way."))
    return redirect("audit-list")


EXPORT_COLUMNS = (
    gettext_lazy("No."),
    gettext_lazy("Time"),
    gettext_lazy("Person"),
    gettext_lazy("Action"),
    gettext_lazy("Object type"),
    pgettext_lazy("audit log column", "Object"),
    gettext_lazy("Unit"),
    gettext_lazy("IP address"),
    gettext_lazy("Reason"),
    gettext_lazy("Details"),
)
EXPORT_CHUNK = 1000


def _export_cells(row: EventRow) -> list[Any]:
    event = row.event
    return [
        event.seq,
        timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
        row.actor,
        row.action,
        row.object_type,
        row.object_label,
        row.unit,
        event.ip or "",
        event.reason,
        row.details_text,
    ]


def _export_rows(user: Any, qs: QuerySet[AuditEvent]) -> Any:
    """The rows, presented a chunk at a time (keyset on ``seq``: flat memory and queries)."""
    after = None
    while True:
        chunk = list((qs.filter(seq__lt=after) if after is not None else qs)[:EXPORT_CHUNK])
        if not chunk:
            return
        yield from present(user, chunk)
        after = chunk[-1].seq


def export_file_name(fmt: str, day: dt.date) -> str:
    """``<site name>-审计日志-<day>.<fmt>``: what the file is, whose and when."""
    return f"{settings.SITE_NAME}-{_('Audit log')}-{day.isoformat()}.{fmt}"


@login_required
@require_GET
def audit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered log as CSV or XLSX, at most ``AUDIT_EXPORT_MAX_ROWS`` rows (more: a message to
    narrow the filters); each export is itself an event of the log."""
    from holdings.exports import content_disposition, safe_cell

    require_audit_reader(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = AuditFilterForm(request.GET, user=request.user)
    back = f"{reverse('audit-list')}?{request.GET.urlencode()}"
    if not form.is_valid():
        messages.error(request, _("The filters are not valid; correct them before exporting."))
        return redirect(back)
    qs = filtered_events(request.user, form.cleaned_data).select_related("actor", "unit")
    cap = settings.AUDIT_EXPORT_MAX_ROWS
    count = qs[: cap + 1].count()
    if count > cap:
        messages.error(
            request,
            _("More than %(cap)s events match: narrow the filters (a date range, a person, a unit) and export again.")
            % {"cap": f"{cap:,}"},
        )
        return redirect(back)
    filters = {key: str(value) for key, value in form.cleaned_data.items() if value not in (None, "")}
    if "unit" in filters:
        filters["unit"] = form.cleaned_data["unit"].code
    audit_record(action="audit.export", request=request, data={"format": fmt, "filters": filters, "rows": count})
    header = [str(column) for column in EXPORT_COLUMNS]
    rows = (_export_cells(row) for row in _export_rows(request.user, qs))
    name = export_file_name(fmt, timezone.localdate())
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # a BOM: Excel then reads the Chinese as UTF-8
        writer = csv.writer(buffer)
        writer.writerow(header)
        for cells in rows:
            writer.writerow([safe_cell(cell) if isinstance(cell, str) else cell for cell in cells])
        response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            _xlsx(header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = content_disposition(name)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _xlsx(header: list[str], rows: Any) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from holdings.exports import safe_cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Audit log"))
    sheet.append(header)
    for cells in rows:
        sheet.append([safe_cell(ILLEGAL_CHARACTERS_RE.sub("", c)) if isinstance(c, str) else c for c in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
