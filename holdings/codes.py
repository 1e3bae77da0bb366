"""Reference codes (档号) and numbering classes, built from stored components — never parsed
(an import may recover the components of the codes it is given: :class:`CodeMatcher`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from .models import Fonds, Item, ReferenceCodeTemplate, Volume

# DA/T 22-2015 item form: Z109-WS·2011-Y-BGS-0001
DAT22_PARTS = [
    {"sep": "", "field": "fonds"},
    {"sep": "-", "field": "category"},
    {"sep": "·", "field": "year"},
    {"sep": "-", "field": "retention"},
    {"sep": "-", "field": "org"},
    {"sep": "-", "field": "volume"},
    {"sep": "-", "field": "number"},
]
# DA/T 13-2022 single-segment form: Z109-WS·2011·Y·BGS-0001
DAT13_PARTS = [
    {"sep": "", "field": "fonds"},
    {"sep": "-", "field": "category"},
    {"sep": "·", "field": "year"},
    {"sep": "·", "field": "retention"},
    {"sep": "·", "field": "org"},
    {"sep": "-", "field": "volume"},
    {"sep": "-", "field": "number"},
]


def template_for(fonds: Fonds, category_id: int) -> ReferenceCodeTemplate:
    """The most specific template: fonds+category, fonds, category, then the default."""
    from .models import ReferenceCodeTemplate

    candidates = ReferenceCodeTemplate.objects.filter(
        (Q(fonds=fonds) | Q(fonds__isnull=True)) & (Q(category_id=category_id) | Q(category__isnull=True))
    )
    best = sorted(candidates, key=lambda t: (t.fonds_id is not None, t.category_id is not None), reverse=True)
    if not best:
        raise LookupError("No reference code template: the default template is missing (run migrations).")
    return best[0]


def build_code(
    template: ReferenceCodeTemplate,
    *,
    fonds: str,
    category: str,
    year: int,
    retention: str,
    org: str,
    number: int,
    volume: int | None = None,
    is_volume: bool = False,
) -> str:
    """Join the components by the template; an empty component drops with its separator.

    For a volume's own code the ``number`` is the volume number and the item part is left out.
    """
    values = {
        "fonds": fonds,
        "category": category,
        "year": str(year),
        "retention": retention,
        "org": org,
        "volume": f"{volume:0{template.volume_width}d}" if volume is not None else "",
        "number": f"{number:0{template.number_width}d}",
    }
    if is_volume:
        values["volume"], values["number"] = f"{number:0{template.volume_width}d}", ""
    code = ""
    for part in template.parts:
        value = values.get(part["field"], "")
        if value:
            code += (part["sep"] if code else "") + value
    return code


def class_key(record: Item | Volume) -> str:
    """The numbering class of a record: its lowest class, or its volume for 卷内文件."""
    from .models import Item

    volume_id = getattr(record, "volume_id", None)
    if volume_id is not None:
        return f"in-volume:{volume_id}"
    kind = "item" if isinstance(record, Item) else "volume"
    return f"{kind}:{record.fonds_id}:{record.category_id}:{record.year}:{record.retention_id}:{record.org_code}"


def code_for(record: Item | Volume) -> str:
    from .models import Volume

    template = template_for(record.fonds, record.category_id)
    is_volume = isinstance(record, Volume)
    volume = None if is_volume or record.volume_id is None else record.volume.number
    return build_code(
        template,
        fonds=record.fonds.code,
        category=record.category.code,
        year=record.year,
        retention=record.retention.code,
        org=record.org_code,
        number=record.number,
        volume=volume,
        is_volume=is_volume,
    )


# --- Recovering the components of a given code (imports only) ----------------------------------
# Imported catalogues often carry a 档号 without every component column. The template is the
# grammar: each part becomes one pattern (the fonds code literally, the known category and
# retention codes, a 4-digit year, an org code, a zero-padded number), joined by the template's
# separators; an empty org drops with its separator as in build_code(). Stored codes are never
# parsed: this runs on an import's input only.

# The name a template field has in a catalogue's header (the import's canonical column names).
FIELD_NAMES = {
    "fonds": "全宗号",
    "category": "门类",
    "year": "年度",
    "retention": "保管期限",
    "org": "机构问题",
    "volume": "案卷号",
    "number": "件号",
}


@dataclass(frozen=True, slots=True)
class CodeParts:
    """The components a code was built from, as written in it (codes, not objects)."""

    category: str
    year: int
    retention: str
    org: str
    number: int


class CodeMatcher:
    """Matches item codes (not in a volume) written by one template for one fonds."""

    def __init__(
        self,
        template: ReferenceCodeTemplate,
        *,
        fonds_code: str,
        category_codes: Iterable[str],
        retention_codes: Iterable[str],
    ) -> None:
        self.template, self.fonds_code = template, fonds_code
        separators = {part["sep"] for part in template.parts if part["sep"]}
        free = (
            "[^" + "".join(re.escape(sep) for sep in sorted(separators)) + r"\s]{1,16}" if separators else r"\S{1,16}"
        )
        width = template.number_width
        patterns = {
            "fonds": re.escape(fonds_code),
            "category": _alternatives(category_codes),
            "year": r"\d{4}",
            "retention": _alternatives(retention_codes),
            "org": free,
            "number": rf"(?:\d{{{width}}}|[1-9]\d{{{width},}})",
        }
        regex = ""
        for part in template.parts:
            field_name = part["field"]
            if field_name not in patterns:  # an item outside a volume has no 案卷号
                continue
            sep = re.escape(part["sep"]) if regex else ""
            piece = f"{sep}(?P<{field_name}>{patterns[field_name]})"
            regex += f"(?:{piece})?" if field_name == "org" else piece
        self.regex = re.compile(regex)

    def match(self, code: str) -> CodeParts | None:
        found = self.regex.fullmatch(code)
        if found is None:
            return None
        values = found.groupdict()
        if not all(values.get(name) for name in ("category", "year", "retention", "number")):
            return None  # a template without one of these cannot give it back
        return CodeParts(
            category=values["category"],
            year=int(values["year"]),
            retention=values["retention"],
            org=values.get("org") or "",
            number=int(values["number"]),
        )

    def expected_form(self, *, category: str | None = None) -> str:
        """The form of this template's codes, e.g. ``J001-WS·年度-保管期限-机构问题-件号``."""
        shown = {**FIELD_NAMES, "fonds": self.fonds_code}
        if category:
            shown["category"] = category
        form = ""
        for part in self.template.parts:
            if part["field"] in shown and part["field"] != "volume":
                form += (part["sep"] if form else "") + shown[part["field"]]
        return form


def _alternatives(values: Iterable[str]) -> str:
    ordered = sorted({value for value in values if value}, key=lambda value: (-len(value), value))
    return "(?:" + "|".join(re.escape(value) for value in ordered) + ")" if ordered else "(?!)"
