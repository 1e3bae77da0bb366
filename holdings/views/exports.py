"""Exports of the item list (XLSX, CSV, the printed 归档文件目录) as jobs: ask, follow, download.

The list's export buttons open :func:`item_export` with the list's query: it checks the
filters (a bad value is a 400 that says what is wrong) and asks to start the job; the POST
creates it and goes to its page, which polls while the worker writes and then offers the file.
A job is its creator's alone: anyone else gets 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archives_site.audit import audit_record
from archives_site.security import never_store, no_store

from .. import exports, tasks
from ..models import ExportJob, ExportStatus, Fonds
from .common import require_holdings

# A job still waiting after this long was not picked up by a worker: the page says so.
STALLED_AFTER = timedelta(minutes=2)
RECENT_JOBS = 10


@login_required
@require_http_methods(["GET", "POST"])
def item_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: what will be exported, with a button to start; POST: create the job, go to its page.
    The filters and search come from the query string either way (the list's own)."""
    require_holdings(request.user)
    if fmt not in exports.FORMATS:
        raise Http404
    try:
        params = exports.export_params(user=request.user, fmt=fmt, data=request.GET)
    except Fonds.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        if getattr(exc, "code", None) == "fonds_required" and request.method == "GET":
            messages.error(request, exc.messages[0])
            return redirect(f"{request.path.rsplit('/export', 1)[0]}/?{request.GET.urlencode()}")
        context = {"fmt": fmt, "errors": exc.messages, "jobs": _recent(request)}
        return render(request, "holdings/export_new.html", context, status=400)
    if request.method == "POST":
        job = exports.export_start(actor=request.user, fmt=fmt, params=params)
        return redirect("holdings:export-detail", pk=job.pk)
    fonds = None
    if params["filters"].get("fonds"):
        fonds = exports.export_fonds(user=request.user, filters=params["filters"])
    context = {
        "fmt": fmt,
        "params": params,
        "fonds": fonds,
        "filters": exports.filter_labels(params["filters"], user=request.user),
        "query": request.GET.urlencode(),
        "jobs": _recent(request),
    }
    return render(request, "holdings/export_new.html", context)


def _recent(request: HttpRequest) -> list[ExportJob]:
    return list(exports.export_jobs(user=request.user)[:RECENT_JOBS])


def _job(request: HttpRequest, pk: int) -> ExportJob:
    return get_object_or_404(exports.export_jobs(user=request.user), pk=pk)


def _stalled(job: ExportJob) -> bool:
    """No worker took the job up, or the one that did is past its time limit (it died)."""
    now = timezone.now()
    if job.status == ExportStatus.PENDING:
        return now - job.created_at > STALLED_AFTER
    if job.status == ExportStatus.RUNNING and job.started_at:
        return now - job.started_at > timedelta(seconds=tasks.EXPORT_TIME_LIMIT)
    return False


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's own exports, newest first."""
    return render(request, "holdings/export_list.html", {"jobs": exports.export_jobs(user=request.user)[:100]})


@login_required
@require_GET
@never_store
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress (polled with htmx while it runs), then its download link."""
    job = _job(request, pk)
    template = "holdings/export_progress.html" if request.headers.get("HX-Request") else "holdings/export_detail.html"
    return render(request, template, {"job": job, "stalled": _stalled(job)})


@login_required
@require_POST
def export_requeue(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a stalled job again (a run is idempotent, so a late first run does no harm)."""
    job = _job(request, pk)
    if _stalled(job) or job.status == ExportStatus.FAILED:
        exports.export_requeue(job=job)
        messages.success(request, _("The export was queued again."))
    return redirect("holdings:export-detail", pk=job.pk)


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The finished file, named for what it is (RFC 5987 ``filename*`` for the Chinese name,
    an ASCII ``filename`` besides). A PDF opens in the browser to print; the others download.
    Audited."""
    job = _job(request, pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    audit_record(action="holdings.export_download", obj=job, request=request, data={"file": job.file_name})
    extension = job.file_name.rsplit(".", 1)[-1]
    response = FileResponse(
        job.file.open("rb"), content_type=exports.CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Disposition"] = exports.content_disposition(job.file_name, attachment=extension != "pdf")
    return no_store(response)
