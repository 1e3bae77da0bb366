from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from archives_site.search import highlight as highlight_text

register = template.Library()


@register.filter
def highlight(text: str | None, q: str | None) -> SafeString:
    """Mark the query's matches in ``text`` (escaped), e.g. ``{{ item.title|highlight:q }}``."""
    return highlight_text(text, q)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


_STATUS_CLASS = {"filed": "text-bg-light border", "draft": "text-bg-warning"}


@register.simple_tag
def record_status(record: object) -> SafeString:
    """A record's status badge, and a "withheld" one for a restricted record shown without its
    description: ``{% record_status item %}``. A tag, not an include: lists show it on every row."""
    badges = []
    if getattr(record, "withheld", False):
        badges.append(
            format_html(
                '<span class="badge text-bg-secondary" data-testid="withheld" title="{}"><i class="bi bi-lock"></i> {}</span> ',
                _("Restricted record: its description needs a special authorisation."),
                _("Withheld"),
            )
        )
    status = record.status  # type: ignore[attr-defined]
    badges.append(
        format_html(
            '<span class="badge {}" data-testid="record-status">{}</span>',
            _STATUS_CLASS.get(status, "text-bg-dark"),
            record.get_status_display(),  # type: ignore[attr-defined]
        )
    )
    return mark_safe("".join(badges))  # noqa: S308 - each part is format_html output


# Parameters that place a page: a new order or a jump starts again from its first page.
_POSITION_PARAMS = ("after", "before", "start", "page")


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, name: str, label: str, css: str = "") -> SafeString:
    """A column header that sorts the list by ``name`` (an ``?ordering=`` value): a link that
    keeps the filters, ``aria-sort`` and an arrow on the sorted column; the first click sorts
    ascending, the next descending. Plain text where the list cannot be sorted by it."""
    current = context.get("ordering")
    sortable = context.get("sortable") or set()
    css_attr = format_html(' class="{}"', css) if css else ""
    if name not in sortable:
        return format_html("<th{}>{}</th>", css_attr, label)
    key = current.key.name if current is not None and current.key is not None else None
    state = ("descending" if current.descending else "ascending") if key == name else None
    target = f"-{name}" if state == "ascending" else name
    changes: dict[str, object] = dict.fromkeys(_POSITION_PARAMS)
    changes["ordering"] = None if target == context.get("default_ordering") else target
    href = "?" + query_with(context, **changes)
    icon = {"ascending": "bi-arrow-up", "descending": "bi-arrow-down"}.get(state or "", "bi-arrow-down-up opacity-50")
    hint = {
        "ascending": _("sorted ascending; click to sort descending"),
        "descending": _("sorted descending; click to sort ascending"),
    }
    return format_html(
        '<th{}{} scope="col"><a class="link-body-emphasis text-decoration-none text-nowrap" href="{}" title="{}" '
        'data-testid="sort-{}">{} <i class="bi {}" aria-hidden="true"></i></a></th>',
        css_attr,
        format_html(' aria-sort="{}"', state) if state else "",
        href,
        hint.get(state or "", _("click to sort by this column")),
        name,
        label,
        icon,
    )


@register.simple_tag(takes_context=True)
def page_link(context: template.Context, **changes: object) -> str:
    """The query string of another page of the list: the filters and order kept, the position
    replaced by ``changes`` (``after=``, ``before=``, ``page=``; none: the first page)."""
    return query_with(context, **{**dict.fromkeys(_POSITION_PARAMS), **changes})


@register.simple_tag(takes_context=True)
def kept_query_inputs(context: template.Context) -> SafeString:
    """Hidden inputs carrying the list's filters and order into a jump form (not its position)."""
    params = context["request"].GET
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}">',
        ((key, value) for key in params if key not in _POSITION_PARAMS for value in params.getlist(key)),
    )


@register.simple_tag
def result_count(page: object, noun: str = "items") -> str:
    """How many rows a list holds, saying what kind of figure it is: exact ("4,477 件"), the
    rows seen before counting stopped ("10,000+ 件"), or an estimate said to be one."""
    n = intcomma(page.total)  # type: ignore[attr-defined]
    kind = page.total_kind  # type: ignore[attr-defined]
    texts = {
        "items": {
            "exact": _("%(n)s items"),
            "at_least": _("%(n)s+ items"),
            "estimate": _("About %(n)s items (an estimate)"),
        },
        "volumes": {
            "exact": _("%(n)s volumes"),
            "at_least": _("%(n)s+ volumes"),
            "estimate": _("About %(n)s volumes (an estimate)"),
        },
    }
    return texts[noun][kind] % {"n": n}


@register.simple_tag
def page_numbers(page: object) -> list[int | None]:
    """The page numbers a numbered list links to: the first, the last and the current ±2
    (None where numbers are left out)."""
    count, current = page.num_pages or 1, page.number or 0  # type: ignore[attr-defined]
    shown = sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


@register.filter
def status_row(record: object) -> str:
    """The row class of a record that is no longer (or not yet) part of the holdings."""
    return {"withdrawn": "record-withdrawn table-secondary", "destroyed": "record-destroyed table-secondary"}.get(
        getattr(record, "status", ""), ""
    )
