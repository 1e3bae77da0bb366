"""A room's temperature and humidity log: readings entered by hand or imported from a data
logger's CSV export, the readings outside the ranges of the settings (excursions), counted per
month.

An import is all or none: a file with a row that cannot be read is refused with the rows named
and nothing is added; readings already in the log (same room, same moment) are skipped, so the
same logger file imported twice adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from villages.models import Unit

from .models import ArchiveRoom, ClimateReading, ReadingSource
from .rooms import _actor_or_none, _room_for_write

TEMPERATURE_LIMITS = (Decimal("-50"), Decimal("70"))  # what a room thermometer can read
HUMIDITY_LIMITS = (Decimal("0"), Decimal("100"))
MAX_ERRORS_SHOWN = 20
HEADER_ROWS_SEARCHED = 30  # loggers write their serial number, interval … above the header


def ranges() -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
    """The temperature and humidity ranges a storeroom should keep (settings)."""
    t, h = settings.CLIMATE_TEMPERATURE_RANGE, settings.CLIMATE_HUMIDITY_RANGE
    return (Decimal(str(t[0])), Decimal(str(t[1]))), (Decimal(str(h[0])), Decimal(str(h[1])))


def _conditions() -> dict[str, Q]:
    (t_low, t_high), (h_low, h_high) = ranges()
    return {
        "too_cold": Q(temperature__lt=t_low),
        "too_hot": Q(temperature__gt=t_high),
        "too_dry": Q(humidity__lt=h_low),
        "too_damp": Q(humidity__gt=h_high),
    }


def excursion_rows() -> Q:
    """The readings outside either range (as a condition)."""
    condition = Q()
    for part in _conditions().values():
        condition |= part
    return condition


def flags(reading: ClimateReading) -> list[str]:
    """What is wrong with one reading: too_cold, too_hot, too_dry, too_damp (empty: fine)."""
    (t_low, t_high), (h_low, h_high) = ranges()
    found = []
    if reading.temperature < t_low:
        found.append("too_cold")
    if reading.temperature > t_high:
        found.append("too_hot")
    if reading.humidity < h_low:
        found.append("too_dry")
    if reading.humidity > h_high:
        found.append("too_damp")
    return found


@dataclass(frozen=True)
class Month:
    month: dt.date
    readings: int
    excursions: int  # readings outside either range
    too_cold: int
    too_hot: int
    too_dry: int
    too_damp: int


def monthly(readings: QuerySet) -> list[Month]:
    """Readings and excursions per month (local time), oldest first: one grouped query."""
    conditions = _conditions()
    rows = (
        readings.annotate(month=TruncMonth("taken_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .order_by("month")
        .annotate(
            readings=Count("id"),
            excursions=Count("id", filter=excursion_rows()),
            **{name: Count("id", filter=condition) for name, condition in conditions.items()},
        )
    )
    return [
        Month(
            month=row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"],
            **{name: row[name] for name in ("readings", "excursions", *conditions)},
        )
        for row in rows
    ]


def _validated(temperature: Any, humidity: Any) -> tuple[Decimal, Decimal]:
    errors = {}
    values = []
    for field, value, (low, high), label in (
        ("temperature", temperature, TEMPERATURE_LIMITS, _("Temperature")),
        ("humidity", humidity, HUMIDITY_LIMITS, _("Humidity")),
    ):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            errors[field] = _("%(what)s is not a number.") % {"what": label}
            continue
        if not number.is_finite() or not low <= number <= high:
            errors[field] = _("%(what)s must lie between %(low)s and %(high)s.") % {
                "what": label,
                "low": low,
                "high": high,
            }
            continue
        values.append(number.quantize(Decimal("0.1")))
    if errors:
        raise ValidationError(errors)
    return values[0], values[1]


def _check_moment(taken_at: dt.datetime) -> None:
    if taken_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"taken_at": _("A reading cannot be taken in the future.")})
    if taken_at.year < 1950:
        raise ValidationError({"taken_at": _("This date is too early for a reading.")})


@transaction.atomic
def reading_add(
    *,
    actor: Any,
    unit: Unit,
    taken_at: dt.datetime,
    temperature: Any,
    humidity: Any,
    request: HttpRequest | None = None,
) -> ClimateReading:
    """Add one reading taken by hand (a thermo-hygrometer on the wall)."""
    temperature, humidity = _validated(temperature, humidity)
    if timezone.is_naive(taken_at):
        taken_at = timezone.make_aware(taken_at)
    _check_moment(taken_at)
    room = _room_for_write(actor, unit)
    if ClimateReading.objects.filter(room=room, taken_at=taken_at).exists():
        raise ValidationError({"taken_at": _("The log already has a reading at this moment.")})
    reading = ClimateReading.objects.create(
        room=room,
        unit=unit,
        taken_at=taken_at,
        temperature=temperature,
        humidity=humidity,
        source=ReadingSource.HAND,
        recorded_by=_actor_or_none(actor),
    )
    audit_record(
        action="room.reading_add",
        actor=actor,
        obj=room,
        request=request,
        unit=unit,
        data={"taken_at": timezone.localtime(taken_at).isoformat(timespec="minutes"), "flags": flags(reading)},
    )
    return reading


# --- Logger files ---------------------------------------------------------------------------------

TIME_WORDS = ("时间", "time", "日期", "date", "记录时间")
TEMPERATURE_WORDS = ("温度", "temp")
HUMIDITY_WORDS = ("湿度", "humid", "rh")
DATE_ONLY_WORDS = ("日期", "date")
CLOCK_ONLY_WORDS = ("时间", "time")
MOMENT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)
NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:°?\s*[cC℃]|%\s*(?:RH|rh)?|%RH)?\s*$")


@dataclass(frozen=True)
class ImportResult:
    added: int
    skipped: int  # already in the log (or twice in the file)
    excursions: int  # of the added readings


def _text(upload: IO[bytes]) -> str:
    data = upload.read(settings.CLIMATE_IMPORT_MAX_BYTES + 1)
    if len(data) > settings.CLIMATE_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB: split it by month.")
            % {"mb": settings.CLIMATE_IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if b"\x00" in data:
        raise ValidationError(_("This is not a text (CSV) file: export the logger's data as CSV."))
    for encoding in ("utf-8-sig", "gb18030"):  # loggers' Chinese software often writes GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file's characters cannot be read: save it as UTF-8 or GBK CSV."))


def _column(header: list[str], words: tuple[str, ...], *, taken: set[int]) -> int | None:
    for index, name in enumerate(header):
        folded = name.strip().lower()
        if index not in taken and any(word in folded for word in words):
            return index
    return None


@dataclass(frozen=True)
class _Columns:
    header_row: int
    moment: int
    clock: int | None  # a separate time-of-day column beside a date column
    temperature: int
    humidity: int


def _find_columns(rows: list[list[str]]) -> _Columns:
    for position, header in enumerate(rows[:HEADER_ROWS_SEARCHED]):
        temperature = _column(header, TEMPERATURE_WORDS, taken=set())
        humidity = _column(header, HUMIDITY_WORDS, taken={temperature} if temperature is not None else set())
        if temperature is None or humidity is None:
            continue
        used = {temperature, humidity}
        date_column = _column(header, DATE_ONLY_WORDS, taken=used)
        clock_column = _column(
            header, CLOCK_ONLY_WORDS, taken=used | {date_column} if date_column is not None else used
        )
        if date_column is not None and clock_column is not None:
            return _Columns(position, date_column, clock_column, temperature, humidity)
        moment = _column(header, TIME_WORDS, taken=used)
        if moment is not None:
            return _Columns(position, moment, None, temperature, humidity)
    raise ValidationError(
        _(
            "No header row with a time, a temperature and a humidity column was found. "
            "The file needs columns named like 时间, 温度 and 湿度 (or Time, Temperature, Humidity)."
        )
    )


def _moment(text: str) -> dt.datetime | None:
    text = " ".join(text.strip().split())
    for pattern in MOMENT_FORMATS:
        try:
            return timezone.make_aware(dt.datetime.strptime(text, pattern))
        except ValueError:
            continue
    return None


def _number(text: str) -> str | None:
    match = NUMBER.match(text or "")
    return match.group(1) if match else None


def parse(upload: IO[bytes]) -> list[tuple[dt.datetime, Decimal, Decimal]]:
    """The readings of a logger's CSV file, or a ValidationError naming every bad row (up to
    ``MAX_ERRORS_SHOWN``)."""
    text = _text(upload)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:  # a cell of 100k characters, a broken quote
        raise ValidationError(_("The file cannot be read as CSV: export the logger's data again.")) from exc
    columns = _find_columns(rows)
    readings, errors = [], []
    data_rows = rows[columns.header_row + 1 :]
    if len(data_rows) > settings.CLIMATE_IMPORT_MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(n)s rows: split it by month.") % {"n": settings.CLIMATE_IMPORT_MAX_ROWS}
        )
    for line, row in enumerate(data_rows, start=columns.header_row + 2):
        if not any(cell.strip() for cell in row):
            continue
        width = max(columns.moment, columns.temperature, columns.humidity, columns.clock or 0)
        if len(row) <= width:
            errors.append(_("Row %(line)s: a column is missing.") % {"line": line})
            continue
        moment_text = row[columns.moment] if columns.clock is None else f"{row[columns.moment]} {row[columns.clock]}"
        moment = _moment(moment_text)
        temperature, humidity = _number(row[columns.temperature]), _number(row[columns.humidity])
        if moment is None:
            errors.append(
                _("Row %(line)s: the time “%(value)s” is not a date and time.")
                % {"line": line, "value": moment_text[:40]}
            )
        elif temperature is None or humidity is None:
            errors.append(_("Row %(line)s: the temperature or the humidity is not a number.") % {"line": line})
        else:
            try:
                _check_moment(moment)
                readings.append((moment, *_validated(temperature, humidity)))
            except ValidationError as exc:
                errors.append(_("Row %(line)s: %(problem)s") % {"line": line, "problem": " ".join(exc.messages)})
        if len(errors) >= MAX_ERRORS_SHOWN:
            errors.append(_("… and perhaps more: correct these first."))
            break
    if errors:
        raise ValidationError([_("Nothing was imported."), *errors])
    if not readings:
        raise ValidationError(_("The file holds no readings below its header row."))
    return readings


@transaction.atomic
def readings_import(*, actor: Any, unit: Unit, upload: IO[bytes], request: HttpRequest | None = None) -> ImportResult:
    """Import a logger's CSV file into the unit's room log, all or none."""
    readings = parse(upload)
    room: ArchiveRoom = _room_for_write(actor, unit)
    moments = [moment for moment, _t, _h in readings]
    known = set(
        ClimateReading.objects.filter(room=room, taken_at__gte=min(moments), taken_at__lte=max(moments)).values_list(
            "taken_at", flat=True
        )
    )
    fresh: dict[dt.datetime, ClimateReading] = {}
    for moment, temperature, humidity in readings:
        if moment in known or moment in fresh:
            continue
        fresh[moment] = ClimateReading(
            room=room,
            unit=unit,
            taken_at=moment,
            temperature=temperature,
            humidity=humidity,
            source=ReadingSource.LOGGER,
            recorded_by=_actor_or_none(actor),
        )
    ClimateReading.objects.bulk_create(fresh.values(), batch_size=2000, ignore_conflicts=True)
    result = ImportResult(
        added=len(fresh),
        skipped=len(readings) - len(fresh),
        excursions=sum(1 for reading in fresh.values() if flags(reading)),
    )
    audit_record(
        action="room.readings_import",
        actor=actor,
        obj=room,
        request=request,
        unit=unit,
        data={
            "file": str(getattr(upload, "name", ""))[:120],
            "added": result.added,
            "skipped": result.skipped,
            "excursions": result.excursions,
        },
    )
    return result
