"""Reference codes (档号) and numbering classes, built from stored components — never parsed."""

from __future__ import annotations

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
