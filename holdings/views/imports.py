"""Spreadsheet imports: upload, progress, commit, report, and queueing a stuck job again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from archives_site.scoping import Action, instance_in_scope

from .. import imports
from ..forms import ImportForm
from ..models import ImportJob, ImportStatus
from .common import require_holdings

# --- spreadsheet imports ------------------------------------------------------------------------


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet: it is always checked in full first; nothing is written yet."""
    require_holdings(request.user, Action.ADD)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_start(
                actor=request.user,
                fonds=form.cleaned_data["fonds"],
                uploaded_file=form.cleaned_data["file"],
                dry_run=True,
                keep_given_codes_as_original=form.cleaned_data["keep_given_codes_as_original"],
                accept_dates_outside_year=form.cleaned_data["accept_dates_outside_year"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("holdings:import-detail", pk=job.pk)
    jobs = ImportJob.objects.restrict(request.user, Action.VIEW).select_related("fonds")[:20]
    return render(request, "holdings/import_new.html", {"form": form, "jobs": jobs})


def _job(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> ImportJob:
    return get_object_or_404(
        ImportJob.objects.restrict(request.user, action).select_related("fonds", "committed_job"), pk=pk
    )


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress (polled while it runs), its verdict, the bad rows and the report."""
    job = _job(request, pk)
    template = "holdings/import_progress.html" if request.headers.get("HX-Request") else "holdings/import_detail.html"
    # After a first load the page keeps polling until the deferred search indexes are built.
    indexing = job.status == ImportStatus.DONE and imports.indexes_owed()
    written = imports.write_progress(job)
    stale = imports.job_is_stale(job)
    context = {
        "job": job,
        "indexing": indexing,
        "written": written,
        "written_percent": int(100 * written / job.total_rows) if written is not None and job.total_rows else 0,
        "stale": stale,
        "stale_minutes": int(imports.stale_after().total_seconds() // 60),
        "can_requeue": stale and instance_in_scope(job, request.user, Action.ADD),
    }
    return render(request, template, context)


@login_required
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked file for real: all rows or none, and only once."""
    if request.method != "POST":
        return redirect("holdings:import-detail", pk=pk)
    job = _job(request, pk, Action.ADD)
    try:
        imported, started = imports.import_commit(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("holdings:import-detail", pk=pk)
    if not started:
        url = reverse("holdings:import-detail", args=[imported.pk])
        messages.info(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("This file has already been imported.")
                if imported.status == ImportStatus.DONE
                else _("This file is being imported already."),
                url,
                _("See that import."),
            ),
        )
    return redirect("holdings:import-detail", pk=imported.pk)


@login_required
@require_POST
def import_requeue(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a stuck job again (no worker took it up, or its worker died)."""
    job = _job(request, pk, Action.ADD)
    try:
        imports.import_requeue(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The import has been queued again."))
    return redirect("holdings:import-detail", pk=pk)


@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    if not job.report:
        raise Http404
    return FileResponse(job.report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-report.csv")
