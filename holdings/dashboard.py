"""The holdings panels of the home dashboard (registered in settings.DASHBOARD_PANELS; the
panel contract is :mod:`archives_site.dashboard`).

- :func:`filing_panel` — for those who file: drafts not yet filed, what was filed this 年度 and
  the last, a chart of recent years;
- :func:`jobs_panel` — imports waiting to be committed, running, stuck or failed; exports ready;
- :func:`units_panel` — the units below the user's (villages of a township, townships of the
  county) with their figures, as a chart and a table;
- :func:`review_panel` — for the archive: records awaiting opening review, withdrawn numbers,
  controlled records.

Live figures read indexed rows only (drafts have no 档号 yet: the unique index on
``reference_code`` finds them at once; import and export jobs are small tables). Figures that
group the whole reach are computed once per scope fingerprint and cached for
``STATISTICS_CACHE_SECONDS``: users who see the same rows share them, a role change shows new
figures at once (it changes the key).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from archives_site.dashboard import Chart, Figure, Link, Panel, Row
from archives_site.scoping import Action, scope_key, user_can, user_scope
from villages.models import TOWNSHIP_KINDS, VILLAGE_KINDS, Unit
from villages.roles import HOLDINGS, VILLAGE_CATALOGUE

from . import completeness, imports
from .exports import export_jobs
from .models import ExportStatus, ImportJob, ImportStatus, Item, OpenStatus, RecordStatus, Volume
from .selectors import STATISTICS_CACHE_SECONDS, visible

CHART_YEARS = 6  # the filing chart shows this many 年度, the current one last
RECENT_FAILURES = timedelta(days=30)  # failed imports are shown this long
RECENT_EXPORTS = timedelta(days=7)  # finished exports are offered this long
OPENING_AGE = 25
LISTED_KINDS = TOWNSHIP_KINDS | VILLAGE_KINDS  # 档案法 art. 27: records are opened 25 years after their formation


def items_unit() -> str:
    return pgettext("unit of count", "items")


def list_url(name: str, **params: Any) -> str:
    """A list page's URL with its filters (the dashboard's numbers open the lists they count)."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def scope_figures(*, user: Any, year: int) -> dict[str, Any]:
    """The figures that group every item in reach (one GROUP BY, cached per scope fingerprint):
    filed items by 年度, by status, and by (creating, custodian) unit with this year's share."""
    return cache.get_or_set(
        f"dashboard:holdings:v2:{scope_key(user, HOLDINGS)}:{year}",
        lambda: _scope_figures(user, year),
        timeout=STATISTICS_CACHE_SECONDS,
    )


def _scope_figures(user: Any, year: int) -> dict[str, Any]:
    rows = (
        visible(Item, user=user)
        .values("creating_unit_id", "custodian_unit_id", "year", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_year: dict[int, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    by_unit: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])  # [filed, filed this year]
    for row in rows:
        by_status[row["status"]] += row["n"]
        if row["status"] != RecordStatus.FILED:
            continue
        by_year[row["year"]] += row["n"]
        counts = by_unit[(row["creating_unit_id"], row["custodian_unit_id"])]
        counts[0] += row["n"]
        if row["year"] == year:
            counts[1] += row["n"]
    return {"by_year": dict(by_year), "by_status": dict(by_status), "by_unit": dict(by_unit)}


def draft_counts(*, user: Any) -> tuple[int, int]:
    """(items, volumes) saved as drafts in reach. A draft has no 档号 yet, so the unique index
    on ``reference_code`` (NULLs included) finds them without reading the filed rows: live,
    never cached, so a draft just saved is counted."""
    drafts = Q(status=RecordStatus.DRAFT, reference_code__isnull=True)
    return (
        visible(Item, user=user).filter(drafts).count(),
        visible(Volume, user=user).filter(drafts).count(),
    )


def filing_panel(request: HttpRequest) -> Panel | None:
    """Drafts not yet filed and what was filed this 年度 and the last, for those who file."""
    user = request.user
    if not user_can(user, HOLDINGS, Action.ADD):
        return None
    year = timezone.localdate().year
    figures = scope_figures(user=user, year=year)
    item_drafts, volume_drafts = draft_counts(user=user)
    by_year = figures["by_year"]
    unit = items_unit()
    shown = [
        Figure(
            _("Drafts not yet filed"),
            item_drafts,
            unit,
            list_url("holdings:item-list", status=RecordStatus.DRAFT),
            tone="warning",
            testid="drafts",
        ),
    ]
    if volume_drafts:
        shown.append(
            Figure(
                _("Volume drafts"),
                volume_drafts,
                pgettext("unit of count", "volumes"),
                list_url("holdings:volume-list", status=RecordStatus.DRAFT),
                tone="warning",
                testid="volume-drafts",
            )
        )
    for shown_year, testid in ((year, "filed-this-year"), (year - 1, "filed-last-year")):
        shown.append(
            Figure(
                _("Filed, year %(year)s") % {"year": shown_year},
                by_year.get(shown_year, 0),
                unit,
                list_url("holdings:item-list", year=shown_year, status=RecordStatus.FILED),
                testid=testid,
            )
        )
    shown.append(
        Figure(
            _("Filed items in my reach"),
            figures["by_status"].get(RecordStatus.FILED, 0),
            unit,
            list_url("holdings:item-list", status=RecordStatus.FILED),
            testid="filed-total",
        )
    )
    years = list(range(year - CHART_YEARS + 1, year + 1))
    return Panel(
        key="filing",
        title=_("Filing"),
        intro=_("File the drafts: a draft gets its reference code when it is filed."),
        figures=shown,
        links=[
            Link(_("Catalogue an item"), reverse("holdings:item-create"), "plus-lg"),
            Link(_("All items"), reverse("holdings:item-list"), "list-ul"),
        ],
        chart=Chart(
            labels=[str(y) for y in years],
            values=[by_year.get(y, 0) for y in years],
            unit=unit,
            x_label=_("Year"),
            y_label=_("Filed items"),
            caption=_("Filed items by year, last %(n)s years") % {"n": CHART_YEARS},
            urls=[list_url("holdings:item-list", year=y, status=RecordStatus.FILED) for y in years],
        ),
        note=_("Drafts are counted live; the other figures are refreshed every few minutes."),
    )


def _import_rows(user: Any) -> tuple[list[ImportJob], list[ImportJob], list[ImportJob], list[ImportJob]]:
    """(waiting to be committed, running, stuck, failed recently) import jobs in reach."""
    since = timezone.now() - RECENT_FAILURES
    jobs = list(
        ImportJob.objects.restrict(user, Action.VIEW)
        .filter(
            Q(status=ImportStatus.CHECKED, dry_run=True, committed_job__isnull=True)
            | Q(status__in=(ImportStatus.PENDING, ImportStatus.CHECKING, ImportStatus.IMPORTING))
            | Q(status__in=(ImportStatus.FAILED, ImportStatus.INVALID), created_at__gte=since)
        )
        .select_related("fonds")
        .order_by("-id")[:50]
    )
    waiting = [job for job in jobs if job.status == ImportStatus.CHECKED]
    stuck = [job for job in jobs if imports.job_is_stale(job)]
    running = [job for job in jobs if job.is_running and job not in stuck]
    failed = [job for job in jobs if job.status in (ImportStatus.FAILED, ImportStatus.INVALID)]
    return waiting, running, stuck, failed


def jobs_panel(request: HttpRequest) -> Panel | None:
    """Imports that wait for the user (commit, requeue, fix the file) and exports ready to download."""
    user = request.user
    if not user_can(user, HOLDINGS, Action.VIEW):
        return None
    jobs_unit = pgettext("unit of count", "jobs")
    figures: list[Figure] = []
    rows: list[Row] = []
    links: list[Link] = []
    if user_can(user, HOLDINGS, Action.ADD):
        waiting, running, stuck, failed = _import_rows(user)
        new_import = reverse("holdings:import-new")
        figures += [
            Figure(
                _("Imports checked, waiting to be imported"),
                len(waiting),
                jobs_unit,
                new_import,
                "warning",
                "imports-waiting",
            ),
            Figure(_("Imports running"), len(running), jobs_unit, new_import, testid="imports-running"),
            Figure(_("Imports stuck (no worker)"), len(stuck), jobs_unit, new_import, "danger", "imports-stuck"),
            Figure(
                _("Imports failed or refused (30 days)"), len(failed), jobs_unit, new_import, "danger", "imports-failed"
            ),
        ]
        for job, status, tone in [
            *((job, _("Checked: import it or drop it"), "warning") for job in waiting),
            *((job, _("Stuck: queue it again"), "danger") for job in stuck),
            *((job, job.get_status_display(), "danger") for job in failed),
            *((job, job.get_status_display(), "") for job in running),
        ][:5]:
            rows.append(
                Row(
                    f"{job.original_name} → {job.fonds.code}",
                    reverse("holdings:import-detail", args=[job.pk]),
                    str(status),
                    tone,
                )
            )
        links.append(Link(_("Import a catalogue"), new_import, "upload"))
    since = timezone.now() - RECENT_EXPORTS
    ready = list(export_jobs(user=user).filter(status=ExportStatus.DONE, finished_at__gte=since)[:20])
    figures.append(
        Figure(
            _("Exports ready to download (7 days)"),
            len(ready),
            jobs_unit,
            reverse("holdings:export-list"),
            "success",
            "exports-ready",
        )
    )
    for job in ready[:3]:
        rows.append(
            Row(job.file_name or str(job), reverse("holdings:export-detail", args=[job.pk]), _("Ready"), "success")
        )
    links.append(Link(_("My exports"), reverse("holdings:export-list"), "download"))
    return Panel(
        key="jobs",
        title=_("Imports and exports"),
        figures=figures,
        rows=rows,
        links=links,
    )


def _groups(user: Any) -> tuple[str, list[dict[str, Any]], list[Unit]] | None:
    """The units the figures are grouped by, below the top of the user's reach: the villages of
    a township (and the township's own records), the townships and county units of the county;
    several top units side by side. None when the reach is one unit (nothing to compare).
    Returns (title, groups, the units of the reach)."""
    scope = user_scope(user, HOLDINGS, Action.VIEW)
    if not scope:
        return None
    units = Unit.objects.filter(is_active=True).only("id", "name", "parent_id", "path", "kind").order_by("path")
    if not scope.everything:
        units = units.filter(id__in=scope.unit_ids | scope.open_only_ids)
    units = list(units)
    ids = {unit.pk for unit in units}
    roots = [unit for unit in units if unit.parent_id not in ids]
    if len(roots) == 1:
        root = roots[0]
        children = [unit for unit in units if unit.parent_id == root.pk]
        if not children:
            return None
        groups = [{"unit": root, "own": True}] + [{"unit": unit, "own": False} for unit in children]
        title = _("%(unit)s: units below") % {"unit": root.name}
    else:
        groups = [{"unit": unit, "own": False} for unit in roots]
        title = _("Units in my reach")
    return title, groups, units


def units_panel(request: HttpRequest) -> Panel | None:
    """Each unit below the user's (villages of the township, townships of the county): filed items
    this 年度 as a chart, with the totals in its table. The figures are those of the cached
    scope figures; the grouping reads the unit tree (a few hundred rows at most)."""
    user = request.user
    if not user_can(user, HOLDINGS, Action.VIEW):
        return None
    grouping = _groups(user)
    if grouping is None:
        return None
    title, groups, units = grouping
    year = timezone.localdate().year
    by_unit = scope_figures(user=user, year=year)["by_unit"]
    paths = {unit.pk: unit.path for unit in units}
    missing = {i for pair in by_unit for i in pair} - set(paths)  # e.g. a creator outside the reach
    if missing:
        paths.update(Unit.objects.filter(id__in=missing).values_list("id", "path"))
    group_ids = {group["unit"].pk: group for group in groups}
    own = next((group["unit"].pk for group in groups if group["own"]), None)
    totals: dict[int, list[int]] = {pk: [0, 0] for pk in group_ids}

    def group_of(unit_id: int) -> int | None:
        parts = [int(p) for p in paths.get(unit_id, "").strip("/").split("/") if p]
        for part in parts:
            if part in group_ids and part != own:
                return part
        return own if own in parts else None

    for (creating, custodian), (filed, this_year) in by_unit.items():
        group = group_of(creating) or group_of(custodian)
        if group is not None:
            totals[group][0] += filed
            totals[group][1] += this_year
    # Every village and township is listed (one that filed nothing is worth seeing); the county's
    # own units (archive, departments) and a unit's own records only when they hold something.
    shown = [
        group
        for group in groups
        if totals[group["unit"].pk][0] or (not group["own"] and group["unit"].kind in LISTED_KINDS)
    ]
    labels = [
        _("%(unit)s (own records)") % {"unit": group["unit"].name} if group["own"] else group["unit"].name
        for group in shown
    ]
    unit = items_unit()
    return Panel(
        key="units",
        title=title,
        intro=_("Filed items of year %(year)s by unit; the table also gives every unit's total.") % {"year": year},
        figures=[
            Figure(
                _("Filed, year %(year)s") % {"year": year},
                sum(totals[g["unit"].pk][1] for g in shown),
                unit,
                list_url("holdings:item-list", year=year, status=RecordStatus.FILED),
            ),
        ],
        chart=Chart(
            labels=labels,
            values=[totals[group["unit"].pk][1] for group in shown],
            unit=unit,
            kind="hbar",
            x_label=_("Filed items"),
            y_label=_("Unit"),
            caption=_("Filed items of year %(year)s by unit") % {"year": year},
            urls=[
                list_url("holdings:item-list", unit=group["unit"].pk, year=year, status=RecordStatus.FILED)
                for group in shown
            ],
            extra_column=(_("All years"), [totals[group["unit"].pk][0] for group in shown]),
        ),
        note=_("Refreshed every few minutes."),
        wide=True,
    )


def _review_figures(user: Any, year: int) -> dict[str, int]:
    items = visible(Item, user=user)
    return {
        "unreviewed": items.filter(open_status=OpenStatus.UNREVIEWED).exclude(status=RecordStatus.DRAFT).count(),
        "due": items.filter(open_status=OpenStatus.UNREVIEWED, year__lte=year - OPENING_AGE)
        .exclude(status=RecordStatus.DRAFT)
        .count(),
        "withdrawn": items.filter(status=RecordStatus.WITHDRAWN).count(),
        "controlled": items.filter(open_status=OpenStatus.CONTROLLED).count(),
        "deferred": items.filter(open_status=OpenStatus.DEFERRED).count(),
    }


def review_panel(request: HttpRequest) -> Panel | None:
    """What waits for the archive's review across the county: records due for opening review
    (25 years old, not reviewed), withdrawn numbers (作废, e.g. left by renumbering), records
    whose use is controlled or whose opening is deferred. For those who read all holdings and file."""
    user = request.user
    if not (user_scope(user, HOLDINGS, Action.VIEW).everything and user_can(user, HOLDINGS, Action.ADD)):
        return None
    year = timezone.localdate().year
    figures = cache.get_or_set(
        f"dashboard:review:{scope_key(user, HOLDINGS)}:{year}",
        lambda: _review_figures(user, year),
        timeout=STATISTICS_CACHE_SECONDS,
    )
    unit = items_unit()
    return Panel(
        key="review",
        title=_("Awaiting review"),
        figures=[
            Figure(
                _("Formed %(years)s or more years ago, not yet reviewed for opening") % {"years": OPENING_AGE},
                figures["due"],
                unit,
                tone="warning",
                testid="opening-due",
            ),
            Figure(
                _("Not yet reviewed for opening"),
                figures["unreviewed"],
                unit,
                list_url("holdings:item-list", open_status=OpenStatus.UNREVIEWED),
                testid="unreviewed",
            ),
            Figure(
                _("Withdrawn numbers"),
                figures["withdrawn"],
                unit,
                list_url("holdings:item-list", status=RecordStatus.WITHDRAWN),
                testid="withdrawn",
            ),
            Figure(
                _("Controlled"),
                figures["controlled"],
                unit,
                list_url("holdings:item-list", open_status=OpenStatus.CONTROLLED),
                testid="controlled",
            ),
            Figure(
                _("Opening deferred"),
                figures["deferred"],
                unit,
                list_url("holdings:item-list", open_status=OpenStatus.DEFERRED),
                testid="deferred",
            ),
        ],
        links=[Link(_("Statistics"), reverse("holdings:statistics"), "bar-chart")],
        note=_("Refreshed every few minutes."),
    )


def _sender(reminder: Any) -> str:
    person = reminder.sent_by
    return (person.get_full_name() or person.username) if person is not None else _("the township")


def completeness_panel(request: HttpRequest) -> Panel | None:
    """This 年度's filing completeness of the reader's unit (the village's own, the township's,
    the county's), and the reminders a village has not yet acknowledged."""
    user = request.user
    if not user_can(user, VILLAGE_CATALOGUE, Action.VIEW):
        return None
    unit = completeness.home_unit(user)
    if unit is None or not completeness.level(unit):
        return None
    year = timezone.localdate().year

    def figures() -> tuple[int | None, int]:
        score = completeness.for_unit(unit, up_to_year=year).total(year)
        return score.percent, len(score.missing)

    if completeness.level(unit) == "village":  # two small queries: fresh after each filing
        percent, missing = figures()
    else:
        percent, missing = cache.get_or_set(f"completeness-panel:{unit.pk}:{year}", figures, STATISTICS_CACHE_SECONDS)
    url = list_url("holdings:completeness", unit=unit.pk, year=year)
    reminders = completeness.open_reminders(user=user)
    return Panel(
        key="completeness",
        title=_("Filing completeness"),
        intro=_("Required entries of the filing catalogues that have filed items this year."),
        figures=[
            Figure(
                _("Filed share, year %(year)s") % {"year": year},
                "—" if percent is None else percent,
                "%",
                url,
                testid="completeness-percent",
            ),
            Figure(
                _("Entries still missing"), missing, _("entries"), url, tone="warning", testid="completeness-missing"
            ),
        ],
        rows=[
            Row(
                _("Reminder from %(sender)s: filing for %(year)s") % {"sender": _sender(r), "year": r.year},
                list_url("holdings:completeness", unit=r.unit_id, year=r.year),
                timezone.localtime(r.sent_at).strftime("%Y-%m-%d"),
                tone="warning",
            )
            for r in reminders
        ],
        links=[Link(_("See what is missing"), url, "grid-3x3")],
        note="" if completeness.level(unit) == "village" else _("Figures refresh every few minutes."),
    )
