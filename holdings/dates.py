"""Catalogue dates (DA/T 22): 8 digits YYYYMMDD; YYYY or YYYYMM when the day or month is
unknown; a date established by research is written in brackets, ``[19450815]``."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SEPARATED = re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?$")


def parse_catalogue_date(value: object) -> tuple[str, bool]:
    """Normalise what people type or spreadsheets hold into (``YYYYMMDD``-style text, researched).

    Accepts ``20150312``, ``2015-03-12``, ``2015/3/12``, ``2015年3月12日``, ``2015``, ``201503``,
    dates and datetimes; brackets mark a researched date. Raises ``ValidationError`` with a
    message saying how to write it.
    """
    if value is None or value == "":
        return "", False
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d"), False
    text = str(value).strip()
    researched = text.startswith(("[", "［")) and text.endswith(("]", "］"))
    if researched:
        text = text[1:-1].strip()
    match = _SEPARATED.match(text)
    if match:
        year, month, day = match.group(1), int(match.group(2)), match.group(3)
        text = f"{year}{month:02d}" + (f"{int(day):02d}" if day else "")
    if not re.fullmatch(r"\d{4}(\d{2}(\d{2})?)?", text):
        raise ValidationError(
            _("“%(value)s” is not a date. Write it as YYYYMMDD, e.g. 20150312 (YYYY or YYYYMM if unknown).")
            % {"value": value}
        )
    year = int(text[:4])
    if len(text) >= 6 and not 1 <= int(text[4:6]) <= 12:
        raise ValidationError(_("“%(value)s”: the month must be 01–12.") % {"value": value})
    if len(text) == 8 and not 1 <= int(text[6:8]) <= calendar.monthrange(year, int(text[4:6]))[1]:
        raise ValidationError(_("“%(value)s”: that day does not exist in that month.") % {"value": value})
    return text, researched


def validate_catalogue_date(value: str) -> None:
    """Model-field validator: the stored form must already be normalised."""
    if value and parse_catalogue_date(value)[0] != value:
        raise ValidationError(_("Write the date as YYYYMMDD, e.g. 20150312 (YYYY or YYYYMM if unknown)."))


def year_bounds() -> tuple[int, int]:
    """The 年度 a record may have: ``CATALOGUE_YEAR_MIN`` (setting) up to this year."""
    from django.conf import settings
    from django.utils import timezone

    return settings.CATALOGUE_YEAR_MIN, timezone.localdate().year + settings.CATALOGUE_YEARS_AHEAD


def validate_year(year: int | None) -> None:
    """The one bound on 年度, for forms, the API, imports and services alike."""
    low, high = year_bounds()
    if year is None or not low <= year <= high:
        raise ValidationError(
            _("The year must be between %(low)s and %(high)s (four digits, e.g. 2015).") % {"low": low, "high": high},
            code="year_out_of_range",
        )


def date_year_mismatch(year: int | None, *dates: str) -> str | None:
    """The first catalogue date whose year is not the record's 年度 (a volume's dates must
    span it), or None. A document may belong to another 年度 than its date (a plan filed with
    the year it is for), so callers accept a mismatch only when the person confirms it."""
    present = [d for d in dates if d]
    if year is None or not present:
        return None
    years = [int(d[:4]) for d in present]
    if len(present) == 1:
        return None if years[0] == year else present[0]
    return None if min(years) <= year <= max(years) else present[0]


def check_date_in_year(year: int | None, *dates: str, confirmed: bool) -> None:
    """Refuse a date outside its 年度 unless ``confirmed``; the message says how to go on."""
    mismatch = date_year_mismatch(year, *dates)
    if mismatch and not confirmed:
        raise ValidationError(
            _(
                "The date %(date)s is not in the year %(year)s. Correct the date or the year, or confirm "
                "that the record belongs to %(year)s."
            )
            % {"date": mismatch, "year": year},
            code="date_outside_year",
        )
