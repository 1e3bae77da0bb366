"""Checking one row of a catalogue spreadsheet on its own: every value parsed the way people write
it, every problem reported with its row, column, value and how to fix it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import codes
from ..dates import parse_catalogue_date
from ..models import (
    Category,
    Classification,
    ImportJob,
    OpenStatus,
    RetentionPeriod,
)
from .reading import COLUMNS, Columns, _text

MAX_NUMBER = 999_999  # bounds the per-class bitmap of used numbers (125 kB at most)


MAX_LENGTHS = {
    "reference_code": 80,
    "org_code": 16,
    "doc_number": 100,
    "responsible": 300,
    "title": 1000,
    "original_code": 80,
}


CLASSIFICATIONS = {
    "": Classification.NONE,
    "非密": Classification.NONE,
    "公开": Classification.NONE,
    "无": Classification.NONE,
    "秘密": Classification.SECRET,
    "机密": Classification.CONFIDENTIAL,
    "绝密": Classification.TOP_SECRET,
    **{choice.value: choice for choice in Classification if choice.value},
}


OPEN_STATUSES = {
    "": OpenStatus.UNREVIEWED,
    "未审核": OpenStatus.UNREVIEWED,
    "开放": OpenStatus.OPEN,
    "控制": OpenStatus.CONTROLLED,
    "控制使用": OpenStatus.CONTROLLED,
    "延期开放": OpenStatus.DEFERRED,
    **{choice.value: choice for choice in OpenStatus},
}


RETENTION_ALIASES = {"30年": "D30", "定期30": "D30", "10年": "D10", "定期10": "D10", "长期": "C", "短期": "D"}


_DOTS = str.maketrans({"・": "·", "•": "·", "‧": "·", "∙": "·"})


_WHOLE = re.compile(r"\d+")


_YEAR = re.compile(r"(\d{4})年?")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it: the header is row 1
    column: str  # the column header as written in the file
    value: str
    problem: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "problem": self.problem, "fix": self.fix}


@dataclass(slots=True)
class ParsedRow:
    """One checked row: stored values, ready to become an item."""

    line: int
    category: Category
    year: int
    retention: RetentionPeriod
    org_code: str
    number: int | None  # None: numbered at commit after the class's highest number
    reference_code: str  # the given 档号 when it is kept as the item's code, else ""
    original_code: str
    title: str
    responsible: str
    doc_number: str
    date: str
    date_researched: bool
    page_count: int | None
    classification: str
    open_status: str
    note: str
    renumbered: bool = False  # its given 档号 did not match: kept as 原档号, numbered anew
    search_text: str = ""  # set by _fill() once the row has its number and 档号

    @property
    def class_tuple(self) -> tuple[int, int, int, str]:
        return (self.category.pk, self.year, self.retention.pk, self.org_code)

    @property
    def category_id(self) -> int:
        return self.category.pk

    @property
    def retention_id(self) -> int:
        return self.retention.pk


@dataclass
class ClassStats:
    """What the check learnt about one numbering class (few per file, however many rows)."""

    max_given: int = 0
    unnumbered: int = 0
    catalogue_top: int | None = None  # the class's highest number in the catalogue, looked up once
    used: bytearray = field(default_factory=bytearray)  # bit n set: number n is taken in the file

    def take(self, number: int) -> bool:
        """Mark ``number`` used; False if another row already has it."""
        index, bit = divmod(number, 8)
        if index >= len(self.used):
            self.used.extend(bytes(index + 1 - len(self.used)))
        if self.used[index] & (1 << bit):
            return False
        self.used[index] |= 1 << bit
        self.max_given = max(self.max_given, number)
        return True


class RowParser:
    """Turns the cells of one row into a :class:`ParsedRow` or a list of :class:`RowError`."""

    def __init__(self, job: ImportJob, columns: Columns) -> None:
        self.job, self.fonds, self.columns = job, job.fonds, columns
        self.categories: dict[str, Category] = {}
        for category in Category.objects.filter(is_active=True):
            self.categories[_code_key(category.code)] = category
            self.categories.setdefault(unicodedata.normalize("NFKC", category.name), category)
        self.default_category = self.categories.get("WS")
        periods = list(RetentionPeriod.objects.select_related("maps_to"))
        self.retentions: dict[str, RetentionPeriod] = {}
        for period in periods:
            for key in (period.code, period.name, re.sub(r"[（(].*[)）]", "", period.name)):
                self.retentions[_code_key(key)] = period
        by_code = {p.code: p for p in periods}
        for alias, code in RETENTION_ALIASES.items():
            if code in by_code:
                self.retentions.setdefault(_code_key(alias), by_code[code])
        self.templates: dict[int, Any] = {}
        self.this_year = timezone.localdate().year
        self.positions = [(name, position) for name, position in columns.index.items() if name != "date"]
        self.category_by_pk = {category.pk: category for category in self.categories.values()}
        self.retention_by_pk = {period.pk: period for period in periods}

    def template(self, category_id: int) -> Any:
        if category_id not in self.templates:
            self.templates[category_id] = codes.template_for(self.fonds, category_id)
        return self.templates[category_id]

    def parse(self, line: int, cells: Sequence[Any]) -> tuple[ParsedRow | None, list[RowError]]:
        errors: list[RowError] = []

        def error(name: str, value: Any, problem: str, fix: str) -> None:
            label = self.columns.label.get(name, COLUMNS[name][0])
            errors.append(RowError(line, label, _text(value)[:200], problem, fix))

        width = len(cells)
        values = dict.fromkeys(COLUMNS, "")
        for name, position in self.positions:
            if position < width:
                values[name] = _text(cells[position])
        date_position = self.columns.index.get("date")
        raw_date = cells[date_position] if date_position is not None and date_position < width else None
        for name, limit in MAX_LENGTHS.items():
            if len(values[name]) > limit:
                error(
                    name,
                    values[name],
                    _("Longer than %(limit)s characters.") % {"limit": limit},
                    _("Shorten it to at most %(limit)s characters.") % {"limit": limit},
                )

        if values["fonds_code"] and values["fonds_code"].upper() != self.fonds.code:
            error(
                "fonds_code",
                values["fonds_code"],
                _("This row belongs to another fonds; the file is being imported into %(fonds)s.")
                % {"fonds": self.fonds.code},
                _("Remove rows of other fonds, or import them into their own fonds."),
            )
        if not values["title"]:
            error("title", "", _("The title is missing."), _("Fill in the title (题名) of the item."))

        category = self.default_category if "category" not in self.columns else None
        if "category" in self.columns:
            category = self.categories.get(_code_key(values["category"]))
            if category is None:
                error(
                    "category",
                    values["category"],
                    _("Unknown category."),
                    _("Write a category code such as WS, KJ·JJ or KU·01."),
                )

        year = None
        match = _YEAR.fullmatch(values["year"])
        if match and 1000 <= int(match.group(1)) <= self.this_year:
            year = int(match.group(1))
        else:
            error(
                "year",
                values["year"],
                _("Not a year."),
                _("Write the year as four digits, between 1000 and %(year)s, e.g. 2015.") % {"year": self.this_year},
            )

        retention = self.retentions.get(_code_key(values["retention"]))
        if retention is None:
            error(
                "retention",
                values["retention"],
                _("Unknown retention period."),
                _("Write Y (永久), D30 (定期30年) or D10 (定期10年); 长期 and 短期 are accepted for old records."),
            )
        note = values["note"]
        if retention is not None and retention.is_legacy and retention.maps_to is not None:
            original = _("Original retention: %(value)s") % {"value": values["retention"]}
            note = f"{note}\n{original}" if note else original
            legacy_code, retention = retention.code, retention.maps_to
        else:
            legacy_code = None

        number = self._whole(values["number"], "number", error)
        page_count = self._whole(values["page_count"], "page_count", error)

        try:
            date, researched = parse_catalogue_date(raw_date)
        except ValidationError as exc:
            date, researched = "", False
            error(
                "date",
                raw_date,
                exc.messages[0],
                _("Write the date as YYYYMMDD, e.g. 20150312; put a date established by research in brackets."),
            )

        classification = CLASSIFICATIONS.get(values["classification"])
        if classification is None:
            error(
                "classification",
                values["classification"],
                _("Not a classification level."),
                _("Write 秘密, 机密 or 绝密, or leave it empty for unclassified records."),
            )
        open_status = OPEN_STATUSES.get(values["open_status"])
        if open_status is None:
            error(
                "open_status",
                values["open_status"],
                _("Unknown open status."),
                _("Write 开放, 控制, 延期开放 or 未审核 (empty means 未审核)."),
            )

        if errors or category is None or year is None or retention is None:
            return None, errors

        row = ParsedRow(
            line=line,
            category=category,
            year=year,
            retention=retention,
            org_code=values["org_code"],
            number=number,
            reference_code="",
            original_code=values["original_code"],
            title=values["title"],
            responsible=values["responsible"],
            doc_number=values["doc_number"],
            date=date,
            date_researched=researched,
            page_count=page_count,
            classification=classification,
            open_status=open_status,
            note=note,
        )
        given = _code_text(values["reference_code"])
        if given:
            self._check_given_code(row, given, legacy_code, values["reference_code"], error)
        return (None, errors) if errors else (row, errors)

    def _whole(self, text: str, name: str, error: Any) -> int | None:
        if not text:
            return None
        if _WHOLE.fullmatch(text) and 1 <= int(text) <= MAX_NUMBER:
            return int(text)
        error(
            name,
            text,
            _("Not a whole number from 1 to %(max)s.") % {"max": MAX_NUMBER},
            _("Write digits only, e.g. 12."),
        )
        return None

    def _check_given_code(self, row: ParsedRow, given: str, legacy_code: str | None, raw: str, error: Any) -> None:
        """The given 档号 must be what the template builds from the row's own columns."""
        built: list[str] = []  # the current form first; a legacy record's code may show its old retention
        if row.number is not None:
            for retention_code in filter(None, (row.retention.code, legacy_code)):
                built.append(
                    codes.build_code(
                        self.template(row.category.pk),
                        fonds=self.fonds.code,
                        category=row.category.code,
                        year=row.year,
                        retention=retention_code,
                        org=row.org_code,
                        number=row.number,
                    )
                )
        if given in built:
            row.reference_code = given
            return
        if self.job.keep_given_codes_as_original:
            if row.original_code and row.original_code != given:
                error(
                    "original_code",
                    row.original_code,
                    _("The 档号 is to be kept as the original code, but this row already has another 原档号."),
                    _("Correct the 档号 so that it matches the row, or clear 原档号."),
                )
            row.original_code, row.number, row.renumbered = given, None, True
            return
        if row.number is None:
            error(
                "reference_code",
                raw,
                _("The row has a 档号 but no 件号, so the code cannot be checked."),
                _("Fill in 件号, or choose to keep given codes as original codes and renumber."),
            )
        else:
            error(
                "reference_code",
                raw,
                _("The 档号 does not match the row's own columns: they make %(code)s.") % {"code": built[0]},
                _(
                    "Correct 档号 or the columns it is made of (年度, 保管期限, 机构问题, 件号), or choose to keep "
                    "given codes as original codes and renumber."
                ),
            )


def _code_key(text: str) -> str:
    """Codes as people type them: full-width folded, any middle dot, ``.`` between letters."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOTS).strip().upper()
    return re.sub(r"(?<=[A-Z])\.(?=[A-Z0-9])", "·", folded)


def _code_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_DOTS).strip()
