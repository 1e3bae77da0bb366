"""The item list exported as XLSX, CSV or the printed 归档文件目录."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from archives_site.audit import audit_record
from archives_site.scoping import Action
from archives_site.search import filter_matching

from .. import exports
from ..models import Fonds, Item, RetentionPeriod
from .common import filtered, require_holdings


@login_required
@require_GET
def item_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered, searched item list as XLSX, CSV or the printable PDF catalogue. Audited."""
    require_holdings(request.user)
    qs, _form = filtered(request, Item)
    items = (
        filter_matching(qs, request.GET.get("q") or "")
        .select_related("fonds", "category", "retention")
        .order_by("fonds__code", "reference_code", "id")
    )
    audit_record(action="holdings.export", request=request, data={"format": fmt, "filters": dict(request.GET.items())})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(
            exports.items_xlsx(items=items.iterator(chunk_size=2000)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="items-{stamp}.xlsx"'
        return response
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.items_csv(items=items.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="items-{stamp}.csv"'
        return response
    if fmt == "pdf":
        fonds_id = request.GET.get("fonds")
        if not fonds_id:
            messages.error(request, _("Choose a fonds first: the printed catalogue is made per fonds."))
            return redirect(f"{request.path.rsplit('/export', 1)[0]}/?{request.GET.urlencode()}")
        fonds = get_object_or_404(Fonds.objects.restrict(request.user, Action.VIEW), pk=fonds_id)
        heading = {"year": request.GET.get("year", ""), "org": request.GET.get("org_code", "")}
        if request.GET.get("retention"):
            period = RetentionPeriod.objects.filter(code=request.GET["retention"]).first()
            heading["retention"] = period.name if period else ""
        pdf = exports.catalogue_pdf(items=items.iterator(chunk_size=2000), fonds=fonds, heading=heading or None)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="catalogue-{fonds.code}-{stamp}.pdf"'
        return response
    raise PermissionDenied
