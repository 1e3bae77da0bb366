"""The working-day calendar (工作日历): the one place for working-day arithmetic, and its services.

A day is a working day when it is Monday to Friday, unless the calendar records it as a holiday
(休), and a rest day when it is Saturday or Sunday, unless the calendar records it as a make-up
working day (班, 调休). Only these exceptions are stored (:class:`~archives_site.models.CalendarDay`),
loaded from the official calendar of the ``chinesecalendar`` package or entered by the bureau.

A year is *confirmed* (:class:`~archives_site.models.CalendarYear`) once its holidays are known.
In a year that is not, days are reckoned on weekends alone — and every result says so
(``Deadline.unconfirmed_years``, ``WorkingDayCount.unconfirmed_years``): a deadline that may
move when the year's holidays are announced is never passed off as certain.

Each computation reads the exceptions of the years it spans in at most one query (none while
they are cached: per year, in Django's cache, dropped by every service that changes them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, DateField, Value
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.roles import WORKDAY_CALENDAR

from .audit import audit_record
from .models import (
    CALENDAR_YEAR_MAX,
    CALENDAR_YEAR_MIN,
    CalendarDay,
    CalendarDayKind,
    CalendarSource,
    CalendarYear,
)
from .scoping import SYSTEM, Action, require_reach

logger = logging.getLogger(__name__)

HOLIDAY, WORKDAY = CalendarDayKind.HOLIDAY.value, CalendarDayKind.WORKDAY.value
# No deadline of the archives runs longer than this (ten years of working days); a larger
# count is a mistake, refused before any walk through the calendar.
MAX_WORKING_DAYS = 2500
# From this day of the year on, next year's calendar is due: the State Council publishes it in
# the autumn, and a missing year is reported (log, calendar page, home page).
NEXT_YEAR_DUE = (10, 1)
CACHE_SECONDS = 6 * 60 * 60  # invalidated on every change; the timeout only bounds a lost race
CACHE_PREFIX = "workdays:year:"


# --- Reading the calendar ---------------------------------------------------------------------------


@dataclass(frozen=True)
class YearCalendar:
    """One year's exceptions (date → kind) and whether its holidays are known."""

    year: int
    confirmed: bool
    days: dict[dt.date, str] = field(default_factory=dict)


def _cache_key(year: int) -> str:
    return f"{CACHE_PREFIX}{year}"


def year_calendars(years: Iterable[int]) -> dict[int, YearCalendar]:
    """The calendars of ``years``: from the cache, the others in one query (exceptions and
    confirmations together, as one UNION), then cached."""
    wanted = sorted(set(years))
    if not wanted:
        return {}
    cached = cache.get_many([_cache_key(year) for year in wanted])
    found = {year: cached[_cache_key(year)] for year in wanted if _cache_key(year) in cached}
    missing = [year for year in wanted if year not in found]
    if missing:
        low, high = missing[0], missing[-1]
        days: dict[int, dict[dt.date, str]] = {year: {} for year in range(low, high + 1)}
        confirmed: set[int] = set()
        for day, kind in _exceptions_and_confirmations(low, high):
            if day is None:  # a confirmation row: its year in the kind column
                confirmed.add(int(kind))
            else:
                days[day.year][day] = kind
        loaded = {year: YearCalendar(year, year in confirmed, days[year]) for year in days}
        cache.set_many({_cache_key(year): calendar for year, calendar in loaded.items()}, CACHE_SECONDS)
        found.update({year: loaded[year] for year in missing})
    return found


def _exceptions_and_confirmations(low: int, high: int) -> list[tuple[dt.date | None, str]]:
    """``(date, kind)`` of every exception in the years ``low``..``high`` and ``(None, year)`` of
    every confirmed one among them: one query."""
    first, last = _year_bounds(low, high)
    days = CalendarDay.objects.filter(date__gte=first, date__lte=last).order_by().values_list("date", "kind")
    years = (
        CalendarYear.objects.filter(year__gte=low, year__lte=high, confirmed_at__isnull=False)
        .order_by()
        .annotate(no_date=Value(None, output_field=DateField()), year_text=Cast("year", CharField(max_length=4)))
        .values_list("no_date", "year_text")
    )
    return list(days.union(years, all=True))


def _year_bounds(low: int, high: int) -> tuple[dt.date, dt.date]:
    return dt.date(max(low, dt.MINYEAR), 1, 1), dt.date(min(high, dt.MAXYEAR), 12, 31)


def forget(years: Iterable[int]) -> None:
    """Drop the cached calendars of ``years``: now, and again when the transaction commits (a
    reader in between may have cached what was there before)."""
    keys = [_cache_key(year) for year in set(years)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def _working(day: dt.date, calendars: dict[int, YearCalendar]) -> bool:
    kind = calendars[day.year].days.get(day)
    if kind is None:
        return day.weekday() < 5
    return kind == WORKDAY


def _local_date(moment: dt.date | dt.datetime) -> dt.date:
    """A date as it is; an aware datetime as its date in the site's time zone (Asia/Shanghai)."""
    if isinstance(moment, dt.datetime):
        if timezone.is_naive(moment):
            raise ValueError("a datetime must be aware (its time zone decides its day)")
        return timezone.localdate(moment)
    if isinstance(moment, dt.date):
        return moment
    raise TypeError(f"a date or an aware datetime, not {type(moment).__name__}")


def _unconfirmed(first: int, last: int, calendars: dict[int, YearCalendar]) -> tuple[int, ...]:
    return tuple(year for year in range(first, last + 1) if not calendars[year].confirmed)


def is_working_day(day: dt.date | dt.datetime) -> bool:
    """Whether ``day`` (a date, or an aware datetime's local date) is a working day. In a year not
    confirmed this is the weekend rule alone: ask :func:`year_is_confirmed` when it matters."""
    day = _local_date(day)
    return _working(day, year_calendars([day.year]))


def year_is_confirmed(year: int) -> bool:
    """Whether the holidays of ``year`` are known (loaded or confirmed by the bureau)."""
    return year_calendars([year])[year].confirmed


@dataclass(frozen=True)
class Deadline:
    """The answer of :func:`add_working_days`. ``day`` is the deadline; ``counted_from`` the
    working day the count started from (the day the request arrived, or the next working day);
    ``unconfirmed_years`` the years from arrival to deadline whose holidays are not known yet —
    when there are any, ``day`` was reckoned on weekends there and may still move."""

    arrived: dt.date
    counted_from: dt.date
    day: dt.date
    working_days: int
    unconfirmed_years: tuple[int, ...] = ()

    @property
    def confirmed(self) -> bool:
        return not self.unconfirmed_years


def add_working_days(start: dt.date | dt.datetime, n: int) -> Deadline:
    """The deadline of something that arrives on ``start`` and is due in ``n`` working days.

    The rule, exactly:

    1. ``start`` is a date, or an aware datetime taken as its date in local time (Asia/Shanghai;
       the hour does not matter). A naive datetime is refused (``ValueError``).
    2. If that day is a working day, counting starts from it; if it is a rest day (a weekend
       not worked, a holiday), the request counts as arriving on the next working day.
    3. The deadline is the ``n``-th working day after that day (the day itself is day 0, so
       ``n=0`` gives the day counting starts from). Example: arriving Thu 8 Feb 2024, 4 working
       days → Fri 9 Feb (1), Sun 18 Feb (2, a make-up working day), Mon 19 (3), Tue 20 Feb (4).

    ``n`` must be 0..MAX_WORKING_DAYS (``ValueError`` otherwise). The result names the years on
    the way that are not confirmed (``Deadline.confirmed`` is False then).
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"the number of working days must be 0..{MAX_WORKING_DAYS}")
    arrived = _local_date(start)
    # Working days are never scarcer than this (about 250 in 365 days, longest break 9 days):
    # one query reads every year the walk can reach.
    try:
        horizon = arrived + dt.timedelta(days=2 * n + 40)
    except OverflowError:
        horizon = dt.date.max
    calendars = year_calendars(range(arrived.year, horizon.year + 1))
    day = arrived
    try:
        while True:
            if day.year not in calendars:  # an improbable calendar (months of holidays): read on
                calendars.update(year_calendars(range(day.year, min(day.year + 5, dt.MAXYEAR) + 1)))
            if _working(day, calendars):
                break
            day += dt.timedelta(days=1)
        counted_from = day
        left = n
        while left:
            day += dt.timedelta(days=1)
            if day.year not in calendars:
                calendars.update(year_calendars(range(day.year, min(day.year + 5, dt.MAXYEAR) + 1)))
            if _working(day, calendars):
                left -= 1
    except OverflowError as exc:
        raise ValueError("the deadline lies beyond the year 9999") from exc
    return Deadline(arrived, counted_from, day, n, _unconfirmed(arrived.year, day.year, calendars))


@dataclass(frozen=True)
class WorkingDayCount:
    """The answer of :func:`working_days_between`: ``days`` and, as for a deadline, the years
    counted on weekends alone."""

    days: int
    unconfirmed_years: tuple[int, ...] = ()

    @property
    def confirmed(self) -> bool:
        return not self.unconfirmed_years


def working_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> WorkingDayCount:
    """The working days from ``a`` to ``b``, counted as :func:`add_working_days` counts them:
    from the first working day on or after ``a`` (day 0), the working days after it up to and
    including ``b``. So ``working_days_between(a, add_working_days(a, n).day).days == n``, and
    ``b`` on or before that first working day gives 0. ``b`` before ``a`` is refused
    (``ValueError``): ask the other way round for how late something is."""
    first, last = _local_date(a), _local_date(b)
    if last < first:
        raise ValueError("the end is before the start")
    calendars = year_calendars(range(first.year, last.year + 1))
    unconfirmed = _unconfirmed(first.year, last.year, calendars)
    day = first
    while day <= last and not _working(day, calendars):
        day += dt.timedelta(days=1)
    if day >= last:
        return WorkingDayCount(0, unconfirmed)
    # Working days in (day, last]: the weekdays, less the holidays, plus the make-up days.
    count = _weekdays(day + dt.timedelta(days=1), last)
    for year in range(day.year, last.year + 1):
        for other, kind in calendars[year].days.items():
            if day < other <= last:
                count += 1 if kind == WORKDAY else -1
    return WorkingDayCount(count, unconfirmed)


def _weekdays(first: dt.date, last: dt.date) -> int:
    """Mondays to Fridays from ``first`` to ``last``, both included."""
    total = (last - first).days + 1
    weeks, rest = divmod(total, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


def missing_years(today: dt.date | None = None) -> list[int]:
    """This year and next year, where their holidays are not known yet (one query at most)."""
    today = today or timezone.localdate()
    years = [year for year in (today.year, today.year + 1) if year <= CALENDAR_YEAR_MAX]
    calendars = year_calendars(years)
    return [year for year in years if not calendars[year].confirmed]


def next_year_overdue(today: dt.date | None = None) -> int | None:
    """Next year, when its calendar is due (from 1 October) and not confirmed; else None. What the
    calendar page and the county administrator's home page warn about."""
    today = today or timezone.localdate()
    if (today.month, today.day) < NEXT_YEAR_DUE:
        return None
    return today.year + 1 if today.year + 1 in missing_years(today) else None


# --- The calendar of one year, for the page ------------------------------------------------------------


@dataclass(frozen=True)
class DayCell:
    """One day of a month grid: ``kind`` is "holiday" (休: a recorded holiday, or a weekend inside
    a holiday's break), "workday" (班), "weekend" or "" (an ordinary working day)."""

    day: dt.date
    kind: str
    name: str = ""
    recorded: CalendarDay | None = None

    @property
    def working(self) -> bool:
        return self.kind in ("", "workday")


@dataclass(frozen=True)
class Month:
    number: int
    weeks: list[list[DayCell | None]]  # Monday first; None pads the first and last week


def calendar_year_days(year: int) -> list[CalendarDay]:
    """The recorded days of ``year`` with who changed them (for the page and the API)."""
    return list(CalendarDay.objects.filter(date__year=year).select_related("changed_by").order_by("date"))


def calendar_year_record(year: int) -> CalendarYear | None:
    return CalendarYear.objects.filter(year=year).select_related("confirmed_by").first()


def calendar_months(year: int, days: list[CalendarDay]) -> list[Month]:
    """Twelve month grids of ``year``. A weekend inside an unbroken break that holds a holiday is
    shown as part of that holiday (春节 on its Saturday), as the official notices count it."""
    recorded = {row.date: row for row in days}
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    cells: dict[dt.date, DayCell] = {}
    day = first
    while day <= last:
        row = recorded.get(day)
        if row is not None:
            cells[day] = DayCell(day, row.kind, row.name, row)
        else:
            cells[day] = DayCell(day, "weekend" if day.weekday() >= 5 else "")
        day += dt.timedelta(days=1)
    run: list[dt.date] = []
    for day in [*sorted(cells), None]:
        if day is not None and cells[day].kind in ("holiday", "weekend"):
            run.append(day)
            continue
        named = next((cells[d].name or "" for d in run if cells[d].kind == "holiday"), None)
        if named is not None:
            for other in run:
                if cells[other].kind == "weekend":
                    cells[other] = DayCell(other, "holiday", named)
        run = []
    months = []
    for number in range(1, 13):
        start = dt.date(year, number, 1)
        end = (dt.date(year + 1, 1, 1) if number == 12 else dt.date(year, number + 1, 1)) - dt.timedelta(days=1)
        week: list[DayCell | None] = [None] * start.weekday()
        weeks = []
        day = start
        while day <= end:
            week.append(cells[day])
            if len(week) == 7:
                weeks.append(week)
                week = []
            day += dt.timedelta(days=1)
        if week:
            weeks.append(week + [None] * (7 - len(week)))
        months.append(Month(number, weeks))
    return months


# --- Writing the calendar (services) --------------------------------------------------------------------


def _refused() -> str:
    return _("Only the county administrator keeps the working-day calendar.")


def check_year(year: Any) -> int:
    """A year the calendar can hold, or a ValidationError saying which years it can."""
    if isinstance(year, bool) or not isinstance(year, int) or not CALENDAR_YEAR_MIN <= year <= CALENDAR_YEAR_MAX:
        raise ValidationError(
            _("Give a year between %(low)s and %(high)s."),
            params={"low": CALENDAR_YEAR_MIN, "high": CALENDAR_YEAR_MAX},
            code="out_of_range",
        )
    return year


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValidationError({"name": _("The name contains control characters; type it again.")}, code="invalid")
    return name


def _day_data(row: CalendarDay) -> dict[str, str]:
    return {"date": row.date.isoformat(), "kind": row.kind, "name": row.name, "source": row.source}


def _date_error(message: str, day: dt.date, code: str) -> ValidationError:
    return ValidationError({"date": ValidationError(message, params={"date": day.isoformat()}, code=code)})


def _put_day(
    *, actor: Any, row: CalendarDay | None, day: dt.date, kind: str, name: str, replace: bool
) -> tuple[CalendarDay, str]:
    """Record the bureau's ``kind``/``name`` for ``day`` over ``row`` (its locked record, or None):
    ``"added"``, ``"changed"`` or ``"unchanged"``."""
    if row is not None and (row.kind, row.name, row.source) == (kind, name, CalendarSource.BUREAU):
        return row, "unchanged"
    if row is not None and not replace and (row.kind, row.name) != (kind, name):
        raise _date_error(_("%(date)s is recorded already: change that day instead."), day, "exists")
    outcome = "added" if row is None else "changed"
    row = row or CalendarDay(date=day)
    row.kind, row.name, row.source = kind, name, CalendarSource.BUREAU
    row.changed_by = actor if actor is not SYSTEM else None
    row.changed_at = timezone.now()
    row.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # another administrator recorded the same day a moment ago
        raise _date_error(_("%(date)s was recorded by someone else just now; reload the page."), day, "exists") from exc
    return row, outcome


@transaction.atomic
def calendar_day_set(
    *,
    actor: Any,
    day: dt.date,
    kind: str,
    name: str = "",
    replace: bool = True,
    request: HttpRequest | None = None,
) -> tuple[CalendarDay, bool]:
    """Record ``day`` as a holiday (休) or a make-up working day (班) with its ``name``, as the
    bureau's own (a reload of the official calendar never overwrites it). Recording the same
    again changes nothing (a second submit is harmless); with ``replace=False`` a day recorded
    otherwise is refused instead of changed. Returns the day and whether anything changed."""
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    require_reach(actor, WORKDAY_CALENDAR, Action.ADD if row is None else Action.CHANGE, None, _refused())
    if kind not in CalendarDayKind.values:
        raise ValidationError({"kind": _("Choose 休 (day off) or 班 (make-up working day).")}, code="invalid")
    before = _day_data(row) if row is not None else None
    row, outcome = _put_day(actor=actor, row=row, day=day, kind=kind, name=_clean_name(name), replace=replace)
    if outcome == "unchanged":
        return row, False
    audit_record(
        action="calendar.day_add" if outcome == "added" else "calendar.day_change",
        actor=actor,
        obj=row,
        request=request,
        data={**_day_data(row), **({"before": before} if before is not None else {})},
    )
    forget([day.year])
    return row, True


@transaction.atomic
def calendar_day_remove(*, actor: Any, day: dt.date, request: HttpRequest | None = None) -> bool:
    """Remove what the calendar records for ``day`` (it becomes an ordinary weekday or weekend
    again). Whether there was anything to remove: removing twice is harmless. A day of the
    official calendar comes back only with ``load_workday_calendar --refresh``."""
    require_reach(actor, WORKDAY_CALENDAR, Action.DELETE, None, _refused())
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        return False
    audit_record(action="calendar.day_delete", actor=actor, obj=row, request=request, data=_day_data(row))
    row.delete()
    forget([day.year])
    return True


@transaction.atomic
def calendar_year_confirm(*, actor: Any, year: int, request: HttpRequest | None = None) -> tuple[CalendarYear, bool]:
    """Confirm that the calendar of ``year`` is complete: deadlines in it are no longer flagged.
    Refused while the year records no day at all (its holidays have not been entered). Whether
    anything changed: confirming twice is harmless."""
    require_reach(actor, WORKDAY_CALENDAR, Action.CHANGE, None, _refused())
    check_year(year)
    record, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
    if record.confirmed:
        return record, False
    if not CalendarDay.objects.filter(date__year=year).exists():
        raise ValidationError(
            _("No holiday of %(year)s is recorded yet: enter the year's days first, then confirm it."),
            params={"year": year},
            code="empty",
        )
    record.source = CalendarSource.BUREAU
    record.confirmed_by = actor if actor is not SYSTEM else None
    record.confirmed_at = timezone.now()
    record.full_clean()
    record.save()
    audit_record(action="calendar.year_confirm", actor=actor, obj=record, request=request, data={"year": year})
    forget([year])
    return record, True


# --- Pasting a year's list --------------------------------------------------------------------------------

KIND_WORDS = {"休": HOLIDAY, "班": WORKDAY}
MAX_PASTE_LINES = 400
MAX_PASTE_CHARS = 20_000


@dataclass
class PasteResult:
    """What a pasted list did: dates added, changed, unchanged; weekend 休 lines left out (rest
    days anyway); and the days recorded in that year the list does not mention (kept)."""

    year: int
    added: list[dt.date] = field(default_factory=list)
    changed: list[dt.date] = field(default_factory=list)
    unchanged: list[dt.date] = field(default_factory=list)
    weekend_skipped: list[dt.date] = field(default_factory=list)
    not_in_list: list[dt.date] = field(default_factory=list)
    confirmed: bool = False


def _weekday_name(day: dt.date) -> str:
    return {
        0: _("Monday"),
        1: _("Tuesday"),
        2: _("Wednesday"),
        3: _("Thursday"),
        4: _("Friday"),
        5: _("Saturday"),
        6: _("Sunday"),
    }[day.weekday()]


def parse_calendar_lines(year: int, text: str) -> tuple[list[tuple[dt.date, str, str]], list[dt.date], list[str]]:
    """Read a pasted list, one day a line (``2027-01-01 休 元旦``, ``2027-02-07 班 春节``; the name
    may be left out; blank lines and lines starting with # are ignored). Returns the days to
    record, the weekend 休 days left out, and the problems, each naming its line."""
    problems: list[str] = []
    if "\x00" in text:
        return [], [], [_("The text contains a NUL character; paste the list again as plain text.")]
    if len(text) > MAX_PASTE_CHARS:
        return [], [], [_("The list is too long: at most %(n)s characters.") % {"n": MAX_PASTE_CHARS}]
    lines = text.splitlines()
    if len(lines) > MAX_PASTE_LINES:
        return [], [], [_("The list is too long: at most %(n)s lines.") % {"n": MAX_PASTE_LINES}]
    days: list[tuple[dt.date, str, str]] = []
    skipped: list[dt.date] = []
    seen: dict[dt.date, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        problem = None
        parts = line.split(maxsplit=2)
        day = _parse_day(parts[0])
        name = parts[2].strip() if len(parts) > 2 else ""
        if day is None:
            problem = _("“%(text)s” is not a date; write it as %(example)s.") % {
                "text": parts[0][:20],
                "example": f"{year}-01-01",
            }
        elif day.year != year:
            problem = _("%(date)s is not in %(year)s.") % {"date": day.isoformat(), "year": year}
        elif len(parts) < 2 or parts[1] not in KIND_WORDS:
            problem = _("After the date write 休 (day off) or 班 (make-up working day).")
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            problem = _("The name contains control characters.")
        elif len(name) > 50:
            problem = _("The name is longer than 50 characters.")
        elif day in seen:
            problem = _("%(date)s is given already on line %(line)s.") % {"date": day.isoformat(), "line": seen[day]}
        elif KIND_WORDS[parts[1]] == WORKDAY and day.weekday() < 5:
            problem = _(
                "%(date)s is a %(weekday)s, a working day anyway: a make-up working day (班) falls on a Saturday or Sunday."
            ) % {
                "date": day.isoformat(),
                "weekday": _weekday_name(day),
            }
        if problem is not None:
            problems.append(_("Line %(line)s: %(problem)s") % {"line": number, "problem": problem})
            continue
        assert day is not None
        seen[day] = number
        if KIND_WORDS[parts[1]] == HOLIDAY and day.weekday() >= 5:
            skipped.append(day)  # a holiday's weekend: a rest day anyway, nothing to record
        else:
            days.append((day, KIND_WORDS[parts[1]], name))
    if not problems and not days:
        problems.append(_("The list holds no day to record (a weekend is a rest day anyway)."))
    return days, skipped, problems


def _parse_day(text: str) -> dt.date | None:
    text = text.replace("/", "-").replace(".", "-")
    parts = text.split("-")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


@transaction.atomic
def calendar_paste(
    *, actor: Any, year: int, text: str, confirm: bool = False, request: HttpRequest | None = None
) -> PasteResult:
    """Record a pasted list of ``year``'s days (:func:`parse_calendar_lines`), all or nothing: a
    list with any bad line records nothing and the ValidationError names every bad line. The
    days become the bureau's; days of the year the list leaves out are kept (and reported).
    With ``confirm``, the year is confirmed too. Pasting the same list again changes nothing."""
    require_reach(actor, WORKDAY_CALENDAR, Action.ADD, None, _refused())
    require_reach(actor, WORKDAY_CALENDAR, Action.CHANGE, None, _refused())
    check_year(year)
    days, skipped, problems = parse_calendar_lines(year, text)
    if problems:
        raise ValidationError(problems, code="invalid")
    result = PasteResult(year=year, weekend_skipped=skipped)
    listed = {day for day, _kind, _name in days}
    stored = {row.date: row for row in CalendarDay.objects.select_for_update().filter(date__in=listed)}
    for day, kind, name in days:
        _row, outcome = _put_day(actor=actor, row=stored.get(day), day=day, kind=kind, name=name, replace=True)
        {"added": result.added, "changed": result.changed, "unchanged": result.unchanged}[outcome].append(day)
    result.not_in_list = list(
        CalendarDay.objects.filter(date__year=year)
        .exclude(date__in=listed)
        .order_by("date")
        .values_list("date", flat=True)
    )
    if result.added or result.changed:
        audit_record(
            action="calendar.paste",
            actor=actor,
            request=request,
            data={
                "year": year,
                "added": [day.isoformat() for day in result.added],
                "changed": [day.isoformat() for day in result.changed],
            },
        )
        forget([year])
    if confirm:
        _record, result.confirmed = calendar_year_confirm(actor=actor, year=year, request=request)
    return result


# --- Loading the official calendar ----------------------------------------------------------------------

# The package's holidays by their enum member (its English values are not names to show).
PACKAGE_NAMES = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "mid_autumn_festival": "中秋节",
    "national_day": "国庆节",
    "anti_fascist_70th_day": "抗战胜利70周年纪念日",
}


def package_calendar() -> dict[int, dict[dt.date, tuple[str, str]]]:
    """The exceptions the ``chinesecalendar`` package knows, by year: weekday holidays (休) and
    weekend make-up working days (班), each with its Chinese name. A holiday's weekend days,
    which the package lists too, are rest days anyway and left out."""
    from chinese_calendar import constants

    def name(value: Any) -> str:
        try:
            member = constants.Holiday(value)
        except ValueError:
            return str(value)[:50]
        return PACKAGE_NAMES.get(member.name) or str(getattr(member, "chinese", value))[:50]

    years: dict[int, dict[dt.date, tuple[str, str]]] = {}
    for day, value in constants.holidays.items():
        years.setdefault(day.year, {})
        if day.weekday() < 5:
            years[day.year][day] = (HOLIDAY, name(value))
    for day, value in constants.workdays.items():
        years.setdefault(day.year, {})
        if day.weekday() >= 5:
            years[day.year][day] = (WORKDAY, name(value))
    return {year: days for year, days in sorted(years.items()) if CALENDAR_YEAR_MIN <= year <= CALENDAR_YEAR_MAX}


@dataclass
class LoadResult:
    """What a load of the official calendar did, per count of days, and which years it left."""

    loaded_years: list[int] = field(default_factory=list)
    skipped_years: list[int] = field(default_factory=list)  # confirmed already (see ``refresh``)
    unknown_years: list[int] = field(default_factory=list)  # asked for, not in the package
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    bureau_kept: int = 0


@transaction.atomic
def calendar_load_package(*, actor: Any, years: Iterable[int] | None = None, refresh: bool = False) -> LoadResult:
    """Load the official calendar of every year the package knows (or of ``years``).

    Idempotent. A day the bureau entered is never overwritten. A year already confirmed is left
    as it is (so a day the bureau removed stays removed) unless ``refresh``: then the package's
    days of that year are brought up to date — added, corrected, and removed where the package
    no longer has them — still around the bureau's days. Loaded years become confirmed.
    """
    require_reach(actor, WORKDAY_CALENDAR, Action.ADD, None, _refused())
    known = package_calendar()
    asked = sorted(set(years)) if years is not None else sorted(known)
    result = LoadResult(unknown_years=[year for year in asked if year not in known])
    now = timezone.now()
    for year in (year for year in asked if year in known):
        record, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
        if record.confirmed and not refresh:
            result.skipped_years.append(year)
            continue
        stored = {row.date: row for row in CalendarDay.objects.select_for_update().filter(date__year=year)}
        new_rows = []
        for day, (kind, name) in sorted(known[year].items()):
            row = stored.get(day)
            if row is None:
                new_rows.append(CalendarDay(date=day, kind=kind, name=name, source=CalendarSource.PACKAGE))
            elif row.source == CalendarSource.BUREAU:
                result.bureau_kept += 1
            elif (row.kind, row.name) == (kind, name):
                result.unchanged += 1
            else:
                row.kind, row.name, row.changed_by, row.changed_at = kind, name, None, now
                row.save(update_fields=["kind", "name", "changed_by", "changed_at"])
                result.changed += 1
        CalendarDay.objects.bulk_create(new_rows)
        result.added += len(new_rows)
        gone = [
            row.pk for day, row in stored.items() if row.source == CalendarSource.PACKAGE and day not in known[year]
        ]
        if gone:
            result.removed += CalendarDay.objects.filter(pk__in=gone).delete()[0]
        if not record.confirmed:
            record.source, record.confirmed_by, record.confirmed_at = CalendarSource.PACKAGE, None, now
            record.save(update_fields=["source", "confirmed_by", "confirmed_at"])
        result.loaded_years.append(year)
    if result.added or result.changed or result.removed or result.loaded_years:
        audit_record(
            action="calendar.load",
            actor=actor,
            data={
                "years": result.loaded_years,
                "added": result.added,
                "changed": result.changed,
                "removed": result.removed,
            },
        )
        forget(result.loaded_years)
    return result


# --- The daily check ---------------------------------------------------------------------------------------


@transaction.atomic
def calendar_check(*, actor: Any, today: dt.date | None = None) -> int | None:
    """The daily check (Celery beat): from 1 October, next year's calendar must be known. When it
    is not, log a warning and record when that was first found (the calendar page shows it;
    audited once). Returns the missing next year, or None."""
    require_reach(actor, WORKDAY_CALENDAR, Action.CHANGE, None, _refused())
    year = next_year_overdue(today)
    if year is None:
        return None
    logger.warning(
        "The working-day calendar of %s is not confirmed: deadlines in it are reckoned on weekends only. "
        "Run manage.py load_workday_calendar after upgrading chinesecalendar, or enter the year at /calendar/.",
        year,
    )
    record, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
    if record.missing_noticed_at is None:
        record.missing_noticed_at = timezone.now()
        record.save(update_fields=["missing_noticed_at"])
        audit_record(action="calendar.year_missing", actor=actor, obj=record, data={"year": year})
    return year
