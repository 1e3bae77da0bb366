"""Spreadsheet imports: upload, progress, commit, report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from archives_site.scoping import Action

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
        job = imports.import_start(
            actor=request.user,
            fonds=form.cleaned_data["fonds"],
            uploaded_file=form.cleaned_data["file"],
            dry_run=True,
            keep_given_codes_as_original=form.cleaned_data["keep_given_codes_as_original"],
        )
        return redirect("holdings:import-detail", pk=job.pk)
    jobs = ImportJob.objects.restrict(request.user, Action.VIEW).select_related("fonds")[:20]
    return render(request, "holdings/import_new.html", {"form": form, "jobs": jobs})


def _job(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> ImportJob:
    return get_object_or_404(ImportJob.objects.restrict(request.user, action).select_related("fonds"), pk=pk)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress (polled while it runs), its verdict, the bad rows and the report."""
    job = _job(request, pk)
    template = "holdings/import_progress.html" if request.headers.get("HX-Request") else "holdings/import_detail.html"
    # After a first load the page keeps polling until the deferred search indexes are built.
    indexing = job.status == ImportStatus.DONE and imports.indexes_owed()
    return render(request, template, {"job": job, "indexing": indexing})


@login_required
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked file for real: all rows or none."""
    if request.method != "POST":
        return redirect("holdings:import-detail", pk=pk)
    job = _job(request, pk, Action.ADD)
    if job.status != ImportStatus.CHECKED:
        messages.error(request, _("Only a file that passed the check can be imported."))
        return redirect("holdings:import-detail", pk=pk)
    new_job = imports.import_start(
        actor=request.user,
        fonds=job.fonds,
        uploaded_file=job.file,
        dry_run=False,
        keep_given_codes_as_original=job.keep_given_codes_as_original,
    )
    return redirect("holdings:import-detail", pk=new_job.pk)


@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    if not job.report:
        raise Http404
    return FileResponse(job.report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-report.csv")
