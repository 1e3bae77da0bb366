"""Checking one row of a catalogue spreadsheet on its own: every value parsed the way people write
it, every problem reported with its row, column, value and how to fix it."""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from .. import codes
from ..dates import check_date_in_year, parse_catalogue_date, validate_year, year_bounds
from ..models import (
    Category,
    Classification,
    ImportJob,
    OpenStatus,
    RetentionPeriod,
    org_code_validator,
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


# 密级 as bureaus write it → the stored level ("" is unclassified). Local markings are data: the
# setting IMPORT_CLASSIFICATION_VALUES replaces these defaults. A non-empty marking that means
# "unclassified" is kept in 备注 ("原标注密级：内部"), so nothing written in the file vanishes.
DEFAULT_CLASSIFICATION_VALUES: dict[str, str] = {
    "非密": Classification.NONE,
    "公开": Classification.NONE,
    "内部": Classification.NONE,
    "无": Classification.NONE,
    "无密级": Classification.NONE,
    "不涉密": Classification.NONE,
    "普通": Classification.NONE,
    "一般": Classification.NONE,
    "秘密": Classification.SECRET,
    "机密": Classification.CONFIDENTIAL,
    "绝密": Classification.TOP_SECRET,
}


def classification_values() -> dict[str, str]:
    """Accepted 密级 markings (normalised) → stored level; the stored values are always accepted."""
    configured = getattr(settings, "IMPORT_CLASSIFICATION_VALUES", DEFAULT_CLASSIFICATION_VALUES)
    levels = {choice.value for choice in Classification}
    values = {_marking_key(marking): str(level) for marking, level in configured.items() if level in levels}
    values.update({choice.value: choice.value for choice in Classification})
    return values


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
    # first_lines[n]: the spreadsheet row that took number n in this file (0: none yet). Four bytes
    # a number, grown only as far as the highest number given, so memory stays flat.
    first_lines: array = field(default_factory=lambda: array("I"))

    def take(self, number: int, line: int) -> int:
        """Mark ``number`` used by ``line``; 0, or the row that already has it."""
        if number >= len(self.first_lines):
            self.first_lines.extend(array("I", [0]) * (number + 1 - len(self.first_lines)))
        first = self.first_lines[number]
        if first:
            return first
        self.first_lines[number] = line
        self.max_given = max(self.max_given, number)
        return 0


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
        self.matchers: dict[int, codes.CodeMatcher] = {}  # by template
        self.year_low, self.year_high = year_bounds()
        self.classifications = classification_values()
        with translation.override(settings.LANGUAGE_CODE):  # stored in the catalogue, not shown once
            self.retention_note = _("Original retention: %(value)s")
            self.marking_note = _("Original classification marking: %(value)s")
        self.positions = [(name, position) for name, position in columns.index.items() if name != "date"]
        self.category_by_pk = {category.pk: category for category in self.categories.values()}
        self.retention_by_pk = {period.pk: period for period in periods}
        self.retention_codes = [period.code for period in periods]

    def template(self, category_id: int) -> Any:
        if category_id not in self.templates:
            self.templates[category_id] = codes.template_for(self.fonds, category_id)
        return self.templates[category_id]

    def matcher(self, category: Category) -> codes.CodeMatcher:
        template = self.template(category.pk)
        if template.pk not in self.matchers:
            self.matchers[template.pk] = codes.CodeMatcher(
                template,
                fonds_code=self.fonds.code,
                category_codes=[c.code for c in self.category_by_pk.values()],
                retention_codes=self.retention_codes,
            )
        return self.matchers[template.pk]

    def match_code(self, code: str, category: Category | None) -> tuple[codes.CodeParts | None, str]:
        """The components of a given 档号 by its template, and the form it should have.

        Without a known category every category's template is tried; a match counts only under
        the template of the category it names.
        """
        candidates = [category] if category is not None else list(self.category_by_pk.values())
        for candidate in candidates:
            parts = self.matcher(candidate).match(code)
            if parts is None:
                continue
            named = self.categories.get(_code_key(parts.category))
            if named is not None and self.template(named.pk).pk == self.template(candidate.pk).pk:
                return parts, ""
        # The form names the row's category, or the one a file without 门类 is imported under.
        named = category or (self.default_category if "category" not in self.columns else None)
        shown = named or self.default_category or next(iter(self.category_by_pk.values()), None)
        form = self.matcher(shown).expected_form(category=named.code if named else None) if shown else ""
        return None, form

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
        for name, value in values.items():
            if "\x00" in value:
                error(
                    name,
                    value.replace("\x00", "␀"),
                    _("The cell holds a NUL character (\\x00), which a catalogue cannot store."),
                    _("Remove the character from the cell and upload the file again."),
                )
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

        given = _code_text(values["reference_code"])
        # A component is given by its own column when the file has the column and the cell is
        # filled (an org column's empty cell says "no org"); otherwise it comes from the 档号.
        category = self._category(values, error, given)
        year = self._year(values, error) if values["year"] else None
        retention_written = self._retention(values, error) if values["retention"] else None
        number = self._whole(values["number"], "number", error)
        org_code = values["org_code"] if "org_code" in self.columns else None

        if given:
            category, year, retention_written, number, org_code, fits = self._recover(
                given, values, error, category, year, retention_written, number, org_code
            )
        else:
            fits = True
            if category is None and not values["category"] and "category" not in self.columns:
                category = self.default_category
            if not values["year"]:
                self._year(values, error)  # "Not a year."
            if not values["retention"]:
                self._retention(values, error)
        org_code = org_code or ""
        try:
            org_code_validator(org_code)
        except ValidationError as exc:
            error("org_code", org_code, exc.messages[0], _("Write the code without separators or spaces, e.g. BGS."))

        note = values["note"]
        retention = retention_written
        legacy_code = None
        if retention is not None and retention.is_legacy and retention.maps_to is not None:
            original = self.retention_note % {"value": values["retention"] or retention.code}
            note = f"{note}\n{original}" if note else original
            legacy_code, retention = retention.code, retention.maps_to

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
        if date and year is not None:
            try:
                check_date_in_year(year, date, confirmed=self.job.accept_dates_outside_year)
            except ValidationError as exc:
                error(
                    "date",
                    raw_date,
                    exc.messages[0],
                    _("Correct the date or the 年度, or upload again with “accept dates outside their year” ticked."),
                )

        marking = values["classification"]
        classification = self.classifications.get(_marking_key(marking))
        if classification is None:
            error(
                "classification",
                marking,
                _("Not a classification level."),
                _("Write one of %(values)s, or leave it empty for unclassified records.")
                % {"values": "、".join(m for m in self.classifications if m and not m.isascii())},
            )
        elif marking and not classification and marking not in (c.value for c in Classification):
            kept = self.marking_note % {"value": marking}
            note = f"{note}\n{kept}" if note else kept
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
            org_code=org_code,
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
        if given:
            self._check_given_code(row, given, legacy_code, values["reference_code"], error, fits=fits)
        return (None, errors) if errors else (row, errors)

    def _category(self, values: dict[str, str], error: Any, given: str) -> Category | None:
        if not values["category"]:
            if "category" in self.columns and not given:
                error("category", "", _("Unknown category."), _("Write a category code such as WS, KJ·JJ or KU·01."))
            return None
        category = self.categories.get(_code_key(values["category"]))
        if category is None:
            error(
                "category",
                values["category"],
                _("Unknown category."),
                _("Write a category code such as WS, KJ·JJ or KU·01."),
            )
        return category

    def _year(self, values: dict[str, str], error: Any) -> int | None:
        match = _YEAR.fullmatch(values["year"])
        problem = _("Not a year.")
        if match:
            try:
                validate_year(int(match.group(1)))
                return int(match.group(1))
            except ValidationError as exc:
                problem = exc.messages[0]
        error(
            "year",
            values["year"],
            problem,
            _("Write the year as four digits, between %(low)s and %(high)s, e.g. 2015.")
            % {"low": self.year_low, "high": self.year_high},
        )
        return None

    def _retention(self, values: dict[str, str], error: Any) -> RetentionPeriod | None:
        retention = self.retentions.get(_code_key(values["retention"]))
        if retention is None:
            error(
                "retention",
                values["retention"],
                _("Unknown retention period."),
                _("Write Y (永久), D30 (定期30年) or D10 (定期10年); 长期 and 短期 are accepted for old records."),
            )
        return retention

    def _recover(
        self,
        given: str,
        values: dict[str, str],
        error: Any,
        category: Category | None,
        year: int | None,
        retention: RetentionPeriod | None,
        number: int | None,
        org_code: str | None,
    ) -> tuple[Category | None, int | None, RetentionPeriod | None, int | None, str | None, bool]:
        """Fill the components the row lacks from its 档号, matched against the template; the
        components it has must agree with the code. The last value says whether the code fits."""
        keep = self.job.keep_given_codes_as_original
        category_given = bool(values["category"])
        if category_given and category is None:  # an unknown category was reported already
            return category, year, retention, number, org_code, False
        lacking = [
            name
            for name, value in (
                ("category", category),
                ("year", year if values["year"] else None),
                ("retention", retention if values["retention"] else None),
                ("number", number),
                ("org_code", org_code),
            )
            if value is None
        ]
        if not lacking:  # every component has its column: _check_given_code compares the code whole
            return category, year, retention, number, org_code, True
        if (values["year"] and year is None) or (values["retention"] and retention is None):
            return category, year, retention, number, org_code, False  # reported already
        parts, form = self.match_code(given, category)
        if parts is None:
            if keep and year is not None and retention is not None:
                category = category or self.default_category
                return category, year, retention, None, org_code or "", False  # kept as 原档号, renumbered
            names = "、".join(codes.FIELD_NAMES[_FIELD_OF[name]] for name in lacking)
            error(
                "reference_code",
                values["reference_code"],
                _("The 档号 does not have this fonds' form %(form)s, so %(names)s cannot be taken from it.")
                % {"form": form, "names": names},
                _("Correct the 档号, or add the columns %(names)s.") % {"names": names},
            )
            return None, year, retention, number, org_code, False

        from_code = {
            "category": self.categories.get(_code_key(parts.category)),
            "year": parts.year,
            "retention": self.retentions.get(_code_key(parts.retention)),
            "number": parts.number,
            "org_code": parts.org,
        }
        written = {
            "category": category if category_given else None,
            "year": year if values["year"] else None,
            "retention": retention if values["retention"] else None,
            "number": number,
            "org_code": org_code,
        }
        fits = True
        for name, value in written.items():
            if value is None or value == from_code[name]:
                continue
            if name == "retention" and value.maps_to is not None and value.maps_to == from_code[name]:
                continue  # 长期 in the column, D30 in the code: the same period
            fits = False
            if not keep:
                shown = from_code[name]
                shown = getattr(shown, "code", shown)
                error(
                    name,
                    values[name] if name != "number" else str(number),
                    _("The 档号 %(code)s says %(column)s %(part)s, but this column says otherwise.")
                    % {"code": given, "column": codes.FIELD_NAMES[_FIELD_OF[name]], "part": shown or "—"},
                    _("Correct the 档号 or this column so that they agree."),
                )
        if not category_given:
            category = from_code["category"]
        if year is None:
            year = from_code["year"]
            try:
                validate_year(year)
            except ValidationError as exc:
                error("reference_code", values["reference_code"], exc.messages[0], _("Correct the year in the 档号."))
                year = None
        if retention is None:
            retention = from_code["retention"]
        if org_code is None:
            org_code = from_code["org_code"]
        if number is None and (fits or not keep):
            number = from_code["number"]
        return category, year, retention, number, org_code, fits

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

    def _check_given_code(
        self, row: ParsedRow, given: str, legacy_code: str | None, raw: str, error: Any, *, fits: bool = True
    ) -> None:
        """The given 档号 must be what the template builds from the row's components."""
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
            _parts, form = self.match_code(given, row.category)
            error(
                "reference_code",
                raw,
                _("The 档号 does not have this fonds' form %(form)s, so its 件号 cannot be taken from it.")
                % {"form": form},
                _("Correct the 档号 or fill in 件号, or choose to keep given codes as original codes and renumber."),
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


_FIELD_OF = {"category": "category", "year": "year", "retention": "retention", "number": "number", "org_code": "org"}


def _marking_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _code_key(text: str) -> str:
    """Codes as people type them: full-width folded, any middle dot, ``.`` between letters."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOTS).strip().upper()
    return re.sub(r"(?<=[A-Z])\.(?=[A-Z0-9])", "·", folded)


def _code_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_DOTS).strip()
