from django import template
from django.utils.safestring import SafeString

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
