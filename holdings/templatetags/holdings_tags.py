from django import template
from django.utils.html import format_html
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
