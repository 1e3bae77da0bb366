"""The home dashboard: panels contributed by the apps, and the small contract a panel keeps.

Each app lists its panel functions in ``settings.DASHBOARD_PANELS`` (dotted paths, shown in that
order). A panel function takes the request and returns a :class:`Panel`, or ``None`` when it has
nothing for this user (no role it serves, no reach). Later modules (lookup requests due,
inspections) add their panels the same way; nothing here knows about them.

A panel is data, not HTML: ``templates/home.html`` draws every panel alike —

- ``title`` and optional ``intro`` (one sentence saying what the panel is for);
- ``figures``: labelled numbers, each with its unit (件, 卷, 个) and, where one exists, the URL of
  the list it counts (the number is the link, so "草稿待归档 3 件" opens those three drafts);
  ``tone="warning"`` marks a figure that asks for action when it is not zero;
- ``rows``: a short list of things to open (an import waiting to be committed …);
- ``links``: actions and "see all" links;
- ``chart``: optional; always drawn with a data table beside it (its text alternative, also
  what a phone reader or a screen reader gets), labelled axes and a unit;
- ``note``: e.g. how fresh cached figures are.

Panels must be cheap: figures that group many rows are cached per scope fingerprint
(``archives_site.scoping.scope_key``), so a role change shows new figures at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from villages.roles import ROLE_ASSIGNMENT, WORKDAY_CALENDAR

from .scoping import Action, user_scope
from .workdays import next_year_overdue

Tone = Literal["", "warning", "danger", "success"]


@dataclass(frozen=True)
class Figure:
    """One labelled number; ``url`` opens the list it counts."""

    label: str
    value: int | str
    unit: str = ""
    url: str = ""
    tone: Tone = ""
    testid: str = ""

    @property
    def alerting(self) -> bool:
        """A warning figure only asks for attention when it is not zero."""
        return bool(self.tone) and self.value not in (0, "0", "")


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    icon: str = ""


@dataclass(frozen=True)
class Row:
    """A thing to open from the panel (a job, a record), with a short status text."""

    label: str
    url: str
    status: str = ""
    tone: Tone = ""


@dataclass(frozen=True)
class Chart:
    """A chart and its data table. ``labels`` and ``values`` pair up; ``unit`` is the values'
    unit (件); ``x_label``/``y_label`` title the horizontal and vertical axes; ``urls``
    optionally link each label in the table to its list. ``hbar`` is a horizontal bar chart
    (many units with long names)."""

    labels: list[str]
    values: list[int]
    unit: str
    x_label: str
    y_label: str
    kind: Literal["bar", "hbar", "doughnut"] = "bar"
    caption: str = ""
    urls: list[str] = field(default_factory=list)
    # A further column of the data table only (header, one value per label), e.g. all years.
    extra_column: tuple[str, list[int]] | None = None

    def as_json(self) -> dict[str, Any]:
        """What static/js/dashboard.js draws (json_script)."""
        return {
            "type": self.kind,
            "labels": self.labels,
            "values": self.values,
            "unit": self.unit,
            "xLabel": self.x_label,
            "yLabel": self.y_label,
        }

    @property
    def table(self) -> list[tuple[str, int, str, int | None]]:
        """(label, value, url, extra value) rows of the chart's data table."""
        count = len(self.labels)
        urls = self.urls or [""] * count
        extra = self.extra_column[1] if self.extra_column else [None] * count
        return list(zip(self.labels, self.values, urls, extra, strict=True))

    @property
    def category_label(self) -> str:
        """The axis of the labels (x, or y for a horizontal bar chart): the table's first column."""
        return self.y_label if self.kind == "hbar" else self.x_label

    @property
    def value_label(self) -> str:
        return self.x_label if self.kind == "hbar" else self.y_label

    @property
    def height(self) -> int:
        """Pixels the chart needs: a horizontal bar chart grows with its bars (a phone scrolls
        the page, never squeezes the labels)."""
        return max(180, 28 * len(self.labels) + 60) if self.kind == "hbar" else 220


@dataclass(frozen=True)
class Panel:
    """One card of the dashboard (see the module docstring for what each part is for)."""

    key: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""
    empty_text: str = ""
    wide: bool = False  # spans two columns on wide screens (a chart of many units)


def dashboard_panels(request: HttpRequest) -> list[Panel]:
    """The panels of ``settings.DASHBOARD_PANELS`` that have something for this user, in order."""
    panels = []
    for dotted in settings.DASHBOARD_PANELS:
        panel = import_string(dotted)(request)
        if panel is not None:
            panels.append(panel)
    return panels


# Where the audit log page lives, once it exists (first name that resolves).
AUDIT_PAGE_URLS = ("audit-list", "audit:list", "audit:event-list", "archives_site:audit-list")


def audit_panel(request: HttpRequest) -> Panel | None:
    """The audit chain's last verification, for the county administrator: whether the log is
    intact, when it was checked, how many problems were found. Declines while no verification
    record exists in this installation (the model arrives with the audit page)."""
    user = request.user
    if not (getattr(user, "is_superuser", False) or user_scope(user, ROLE_ASSIGNMENT, Action.ADD).everything):
        return None
    try:
        from .models import AuditVerification, VerificationStatus  # type: ignore[attr-defined]
    except ImportError:
        return None
    page = ""
    for name in AUDIT_PAGE_URLS:
        try:
            page = reverse(name)
            break
        except NoReverseMatch:
            continue
    latest = AuditVerification.objects.exclude(finished_at=None).order_by("-finished_at", "-id").first()
    links = [Link(_("Audit log"), page, "journal-check")] if page else []
    if latest is None:
        return Panel(
            key="audit",
            title=_("Audit log"),
            empty_text=_("The audit chain has not been verified yet."),
            links=links,
        )
    intact = latest.status == VerificationStatus.INTACT
    tone: Tone = "success" if intact else "danger"
    return Panel(
        key="audit",
        title=_("Audit log"),
        figures=[
            Figure(_("Last verification"), latest.get_status_display(), "", page, tone, "audit-status"),
            Figure(
                _("Checked at"), formats.date_format(timezone.localtime(latest.finished_at), "SHORT_DATETIME_FORMAT")
            ),
            Figure(_("Records checked"), latest.rows_checked, pgettext("unit of count", "records")),
            Figure(
                _("Problems found"),
                len(latest.problems or []),
                pgettext("unit of count", "problems"),
                page,
                "danger",
                "audit-problems",
            ),
        ],
        links=links,
    )


def calendar_panel(request: HttpRequest) -> Panel | None:
    """For the county administrator, from 1 October while next year's working-day calendar is
    not confirmed: deadlines reaching into that year are reckoned on weekends only."""
    if not user_scope(request.user, WORKDAY_CALENDAR, Action.CHANGE).everything:
        return None
    year = next_year_overdue()
    if year is None:
        return None
    page = f"{reverse('calendar:year')}?year={year}"
    return Panel(
        key="calendar",
        title=_("Working-day calendar"),
        intro=_(
            "Next year's public holidays are not confirmed: deadlines reaching into it are reckoned on weekends only."
        ),
        figures=[Figure(_("Year not confirmed"), str(year), "", page, "warning", "calendar-missing-year")],
        links=[Link(_("Enter or confirm the year"), page, "calendar-x")],
    )
