"""Holdings statistics: counts by category, year, retention, open status and custodian, with charts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import selectors
from ..dates import validate_year, year_bounds
from ..models import Item, RecordNames
from .common import require_holdings


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Holdings by category, year, retention, open status and custodian, with charts; the annual table."""
    require_holdings(request.user)
    year, status = timezone.localdate().year, 200
    if request.GET.get("year"):
        try:
            year = int(request.GET["year"])
            validate_year(year)
        except (ValueError, ValidationError):
            low, high = year_bounds()
            messages.error(request, _("Choose a year from %(low)s to %(high)s.") % {"low": low, "high": high})
            year, status = timezone.localdate().year, 400
    stats = selectors.holdings_statistics(user=request.user)
    names = RecordNames(Item)
    # Names, not codes (门类 文书, 保管期限 定期30年); retention periods in their configured order.
    retention = sorted(stats["retention"], key=lambda r: names.retention_order(r["retention__code"]))
    charts = {
        "category": {
            "type": "bar",
            "labels": [r["category__name"] for r in stats["category"]],
            "values": [r["n"] for r in stats["category"]],
        },
        "year": {
            "type": "line",
            "labels": [r["year"] for r in stats["year"]],
            "values": [r["n"] for r in stats["year"]],
        },
        "retention": {
            "type": "doughnut",
            "labels": [r["retention__name"] for r in retention],
            "values": [r["n"] for r in retention],
        },
        "open_status": {
            "type": "doughnut",
            "labels": [names.label("open_status", r["open_status"]) for r in stats["open_status"]],
            "values": [r["n"] for r in stats["open_status"]],
        },
        "custodian": {
            "type": "bar",
            "labels": [r["custodian_unit__name"] for r in stats["custodian"][:20]],
            "values": [r["n"] for r in stats["custodian"][:20]],
        },
    }
    return render(
        request,
        "holdings/statistics.html",
        {
            "stats": stats,
            "charts": charts,
            "annual": selectors.annual_statistics(user=request.user, year=year),
            "year": year,
        },
        status=status,
    )
