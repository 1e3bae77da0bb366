"""The one registry of what the audit trail's codes mean to a person: action names, object types
and the keys of an event's ``data``, each with its Chinese label (gettext).

Every action that any module passes to :func:`archives_site.audit.audit_record` needs its label
here; ``tests/archives_site/test_audit_page.py`` scans the source tree for emitted actions and
fails on one that is missing, so the modules still to come (lookup, lifecycle, digitisation)
add theirs when they start recording. An unknown code still renders (as the code itself).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Action code → label. Grouped by the part before the dot (the filter's option groups).
ACTION_LABELS: dict[str, Promise] = {
    # Signing in and API access (archives_site.auth_events, archives_site.tokens).
    "auth.login": _("Logged in"),
    "auth.logout": _("Logged out"),
    "auth.login_failed": _("Failed login"),
    "auth.login_failed_unknown": _("Failed logins with unknown usernames"),
    "auth.login_refused": _("Login refused (service account)"),
    "auth.token": _("API token issued"),
    "auth.token_revoke": _("API token revoked"),
    "auth.token_rotate": _("API token renewed"),
    # People and roles (villages.services and the administration pages).
    "account.create": _("Account created"),
    "account.change": _("Account changed"),
    "account.deactivate": _("Account deactivated"),
    "account.reactivate": _("Account reactivated"),
    "account.password_reset": _("Password reset"),
    "account.password_change": _("Password changed"),
    "role.grant": _("Role granted"),
    "role.revoke": _("Role revoked"),
    # The unit network.
    "unit.create": _("Unit created"),
    "unit.change": _("Unit changed"),
    "unit.deactivate": _("Unit deactivated"),
    # The county's reference template and the villages' filing catalogues (villages.catalogues).
    "template.create": _("Template version started"),
    "template.change": _("Template version changed"),
    "template.entry_add": _("Template entry added"),
    "template.entry_change": _("Template entry changed"),
    "template.entry_delete": _("Template entry removed"),
    "template.publish": _("Template version published"),
    "catalogue.create": _("Filing catalogue created"),
    "catalogue.adopt": _("Template changes adopted"),
    "catalogue.entry_applicable": _("Catalogue entry applicability changed"),
    "catalogue.entry_add": _("Local catalogue entry added"),
    "catalogue.entry_change": _("Local catalogue entry changed"),
    "unit.custody": _("Custody mode changed"),
    "reminder.send": _("Filing reminder sent"),
    "reminder.acknowledge": _("Filing reminder acknowledged"),
    # Archive rooms (inspections.rooms, inspections.climate).
    "room.change": _("Archive room facilities changed"),
    "room.check": _("Room checklist item recorded"),
    "room.evidence_remove": _("Evidence photo removed"),
    "room.staff_add": _("Room staff member added"),
    "room.staff_change": _("Room staff member changed"),
    "room.training_add": _("Training recorded"),
    "room.reading_add": _("Climate reading added"),
    "room.readings_import": _("Climate log imported"),
    # Open records pushed down (holdings.pushes).
    "push.create": _("Records pushed"),
    "push.revoke": _("Push revoked"),
    # Fonds, volumes, items.
    "fonds.create": _("Fonds created"),
    "fonds.change": _("Fonds changed"),
    "fonds.custody": _("Fonds custodian changed"),
    "volume.create": _("Volume catalogued"),
    "volume.change": _("Volume changed"),
    "volume.file": _("Volume filed"),
    "item.create": _("Item catalogued"),
    "item.change": _("Item changed"),
    "item.file": _("Item filed"),
    "item.renumber": _("Item renumbered"),
    "item.pages_add": _("Pages added"),
    "record.view_restricted": _("Restricted record viewed"),
    "holdings.import": _("Catalogue imported"),
    "holdings.export": _("Catalogue exported"),
    "holdings.export_download": _("Export downloaded"),
    # The audit log itself.
    "audit.export": _("Audit log exported"),
    # The working-day calendar (archives_site.workdays).
    "calendar.day_add": _("Calendar day added"),
    "calendar.day_change": _("Calendar day changed"),
    "calendar.day_delete": _("Calendar day removed"),
    "calendar.paste": _("Calendar days pasted"),
    "calendar.year_confirm": _("Calendar year confirmed"),
    "calendar.year_missing": _("Next year's calendar found missing"),
    "calendar.load": _("Official calendar loaded"),
}

ACTION_GROUPS: dict[str, Promise] = {
    "auth": _("Sign-in and API"),
    "account": _("Accounts"),
    "role": _("Roles"),
    "unit": _("Units"),
    "template": _("Reference template"),
    "catalogue": _("Filing catalogues"),
    "room": _("Archive rooms"),
    "push": _("Pushed records"),
    "fonds": _("Fonds"),
    "volume": _("Volumes"),
    "item": _("Items"),
    "record": _("Records"),
    "holdings": _("Import and export"),
    "audit": _("Audit log"),
    "calendar": _("Working-day calendar"),
}

# Object type (a model's ``app_label.model_name``) → label. A model not named here is labelled
# by its own ``verbose_name``.
OBJECT_TYPE_LABELS: dict[str, Promise] = {
    "auth.user": _("User account"),
    "villages.unit": _("Unit"),
    "villages.roleassignment": _("Role assignment"),
    "villages.cataloguetemplate": _("Reference template"),
    "villages.villagecatalogue": _("Filing catalogue"),
    "holdings.fonds": _("Fonds"),
    "holdings.volume": _("Volume"),
    "holdings.item": _("Item"),
    "holdings.importjob": _("Import"),
    "holdings.exportjob": _("Export"),
    "holdings.pageimage": _("Page image"),
    "holdings.filingreminder": _("Filing reminder"),
    "holdings.recordpush": _("Push"),
    "inspections.archiveroom": _("Archive room"),
    "archives_site.apitoken": _("API token"),
    "archives_site.calendarday": _("Calendar day"),
    "archives_site.calendaryear": _("Calendar year"),
}

# The object types of the holdings (what an archivist's reach into the log covers).
HOLDINGS_OBJECT_TYPES = frozenset(
    {"holdings.fonds", "holdings.volume", "holdings.item", "holdings.importjob", "holdings.exportjob"}
)

# Keys of an event's ``data`` → label, where the key is not a field of the event's object type
# (a field is labelled by its model's verbose name). ``(object type, key)`` entries win over
# plain keys.
DATA_LABELS: dict[str | tuple[str, str], Promise] = {
    ("holdings.item", "code"): _("Reference code"),
    ("holdings.volume", "code"): _("Reference code"),
    ("holdings.fonds", "code"): _("Fonds number"),
    ("villages.unit", "code"): _("Unit code"),
    ("auth.user", "kind"): _("Account kind"),
    ("holdings.exportjob", "file"): _("File name"),
    ("holdings.item", "from"): _("Old reference code"),
    ("holdings.item", "to"): _("New reference code"),
    "code": _("Code"),
    "user": _("User"),
    "username": _("Username"),
    "role": _("Role"),
    "unit": _("Unit"),
    "before": _("Before"),
    "after": _("After"),
    "format": _("Format"),
    "filters": _("Filters"),
    "q": _("Search terms"),
    "rows": _("Rows"),
    "withheld": _("Rows withheld"),
    "file": _("File"),
    "job": _("Job"),
    "classes": _("Number classes"),
    "renumbered": _("Renumbered"),
    "token": _("Token number"),
    "new_token": _("New token number"),
    "unknown_usernames": _("Unknown usernames"),
    "old_code": _("Old reference code"),
    "new_code": _("New reference code"),
    "from": _("From"),
    "to": _("To"),
    "n": _("Count"),
    "pages": _("Pages"),
    "full_name": _("Full name"),
    "contact": _("Contact"),
    "note": _("Note"),
    "password_chosen": _("Password set by the administrator"),
    "issued_by_admin": _("Issued by an administrator"),
    "reason": _("Reason"),
    "session": _("Session ended"),
    "version": _("Version"),
    # Filters of an export (the audit log's and the catalogue's).
    "person": _("Person"),
    "action": _("Action"),
    "object_type": _("Object type"),
    "object_id": _("Object ID"),
    "date_from": _("From"),
    "date_to": _("To"),
    "fonds": _("Fonds"),
    "category": _("Category"),
    "year": _("Year"),
    "retention": _("Retention"),
    "open_status": _("Open status"),
    "status": _("Status"),
    "catalogue_entry": _("Catalogue entry"),
    "source": _("Started from"),
    "entry": _("Entry"),
    "added": _("Added"),
    "changed": _("Changed"),
    "removed": _("Removed"),
    "applicable": _("Applicable"),
    "kept": _("Own entries kept at the top level"),
    "missing": _("Entries missing"),
    "keeper_unit_id": _("Kept by"),
    "effective_date": _("Effective from"),
    "checklist": _("Checklist"),
    ("inspections.archiveroom", "status"): _("Status"),
    "checked_on": _("Checked on"),
    "photos": _("Photos"),
    "position": _("Position"),
    "date": _("Date"),
    "taken_at": _("Taken at"),
    "flags": _("Outside the ranges"),
    "skipped": _("Skipped"),
    "excursions": _("Outside the ranges"),
    "target_unit_id": _("Pushed to"),
    "years": _("Years"),
}

# Keys whose stored codes are the choices of a model field other than the event object's own:
# ``(object type, key)`` or a plain key → ``app_label.model.field``.
VALUE_CHOICES: dict[str | tuple[str, str], str] = {
    ("auth.user", "kind"): "villages.account.kind",
    "role": "villages.roleassignment.role",
    "open_status": "holdings.item.open_status",
    "status": "holdings.item.status",
    "classification": "holdings.item.classification",
    ("inspections.archiveroom", "status"): "inspections.roomcheck.status",
    ("inspections.archiveroom", "checklist"): "inspections.roomcheck.checklist",
}

# The records an event's ``filters`` select, where they are not the event's object (an export
# job's filters are the item list's).
FILTERED_TYPES: dict[str, str] = {"holdings.exportjob": "holdings.item"}

# Codes stored as values of a key that is no model field: ``(key, code)`` → label.
VALUE_LABELS: dict[tuple[str, str], Promise] = {
    ("reason", "service_account"): _("A service account (API only) tried the website"),
    ("source", "default"): _("The default template shipped with the system"),
}


def action_label(code: str) -> str:
    """The action's name for a person; an unregistered code is shown as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_group_label(group: str) -> str:
    label = ACTION_GROUPS.get(group)
    return str(label) if label is not None else group


def object_type_label(code: str) -> str:
    """The object type's name: the registry, else the model's verbose name, else the code."""
    if not code:
        return ""
    label = OBJECT_TYPE_LABELS.get(code)
    if label is not None:
        return str(label)
    model = object_model(code)
    return str(model._meta.verbose_name) if model is not None else code


def object_model(code: str) -> type | None:
    """The model an object type names, or None (an app or model that no longer exists)."""
    try:
        return apps.get_model(code)
    except (LookupError, ValueError):
        return None


def data_label(object_type: str, key: str) -> str:
    """The label of a ``data`` key of an event on ``object_type``."""
    label = DATA_LABELS.get((object_type, key))
    if label is not None:
        return str(label)
    model = object_model(object_type) if object_type else None
    if model is not None:
        with contextlib.suppress(FieldDoesNotExist):
            return str(model._meta.get_field(key).verbose_name)
    label = DATA_LABELS.get(key)
    return str(label) if label is not None else key


def value_label(object_type: str, key: str, value: Any) -> str:
    """A stored value as a person reads it: a code by its name (保管期限, 密级, a role, an
    account kind…), 是/否 for a flag, else the value as text. Choices come from, in turn: the
    registry for this object type, the object's own field, the registry for the key alone."""
    text = str(value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key == "action":  # the audit log's own filter
        return action_label(text)
    if key == "object_type":
        return object_type_label(text)
    label = VALUE_LABELS.get((key, text))
    if label is not None:
        return str(label)
    sources = [VALUE_CHOICES.get((object_type, key)), f"{object_type}.{key}" if object_type else None]
    sources.append(VALUE_CHOICES.get(key))
    for source in filter(None, sources):
        model_code, field_name = source.rsplit(".", 1)
        model = object_model(model_code)
        if model is None:
            continue
        with contextlib.suppress(FieldDoesNotExist):
            choices = model._meta.get_field(field_name).flatchoices
            if choices:
                return str({str(k): v for k, v in choices}.get(text, text))
            return text  # the object's own field, without choices: the value itself
    return text


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The registered actions grouped for a select box: [(group label, [(code, label)…])…]."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in ACTION_LABELS:
        groups.setdefault(code.split(".", 1)[0], []).append((code, action_label(code)))
    return [(action_group_label(group), options) for group, options in groups.items()]


def object_type_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in OBJECT_TYPE_LABELS.items()]
