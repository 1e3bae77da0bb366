"""The holdings panel of the home dashboard (registered in settings.DASHBOARD_PANELS)."""

from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.scoping import Action, scope_key, user_can
from archives_site.search import count_rows
from villages.roles import HOLDINGS

from . import selectors
from .models import Fonds, Item, RecordNames
from .selectors import STATISTICS_CACHE_SECONDS


def holdings_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Fonds and items in the user's reach, what was catalogued this year, items by category."""
    if not user_can(request.user, HOLDINGS, Action.VIEW):
        return None
    items = selectors.visible(Item, user=request.user).exclude(status="withdrawn")
    year = timezone.localdate().year

    def figures() -> dict[str, Any]:
        total, estimated = count_rows(items)
        return {
            "total": total,
            "estimated": estimated,
            "by_category": list(items.values("category__code").annotate(n=Count("id")).order_by("-n")[:8]),
            "this_year": items.filter(created_at__year=year).count(),
        }

    # They count or group rows no index narrows: computed at most every few minutes per reach.
    slow = cache.get_or_set(
        f"dashboard:holdings:{scope_key(request.user, HOLDINGS)}:{year}", figures, timeout=STATISTICS_CACHE_SECONDS
    )
    names = RecordNames(Item)
    return {
        "title": _("Holdings in my reach"),
        "figures": [
            {"label": _("Fonds"), "value": selectors.visible(Fonds, user=request.user).count()},
            {"label": _("Items (approx.)") if slow["estimated"] else _("Items"), "value": slow["total"]},
            {"label": _("Catalogued this year"), "value": slow["this_year"]},
        ],
        "chart": {
            "type": "bar",
            # Names, not codes (文书, not WS): one read of the category table, none per bar.
            "labels": [names.category(code=row["category__code"]) for row in slow["by_category"]],
            "values": [row["n"] for row in slow["by_category"]],
        },
        "link": "holdings:item-list",
    }
