"""``/api/v1/imports/``: other government systems submit catalogues as spreadsheets.

Upload (multipart: the file, the fonds, the options, check only or import) → a job, read back
with its status, progress, counts and first problems and warnings; ``commit`` imports a checked
job (once: a second call is given the import the first started); ``report`` is the full
row-by-row report as CSV. Jobs are scoped like the staff pages: by the fonds' custodian unit.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from archives_site.api.viewsets import ScopedViewSetMixin
from archives_site.scoping import Action

from .. import imports
from ..models import Fonds, ImportJob, ImportStatus

PREVIEW = 20  # problems and warnings in a job's body; the report has them all


class ImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=gettext_lazy("The row as the spreadsheet shows it (the header is 1)."))
    column = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    problem = serializers.CharField()
    fix = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """A job as it stands: poll it until ``status`` is final."""

    fonds_code = serializers.CharField(source="fonds.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    check_only = serializers.BooleanField(source="dry_run", read_only=True)
    written_rows = serializers.SerializerMethodField(
        help_text=gettext_lazy("While importing: rows written so far (they appear when the import commits).")
    )
    stale = serializers.SerializerMethodField(
        help_text=gettext_lazy("True when no worker has reported on a waiting or running job for a while.")
    )
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "fonds",
            "fonds_code",
            "original_name",
            "check_only",
            "keep_given_codes_as_original",
            "accept_dates_outside_year",
            "status",
            "status_display",
            "message",
            "total_rows",
            "processed_rows",
            "written_rows",
            "error_count",
            "warning_count",
            "imported_count",
            "errors",
            "warnings",
            "report_url",
            "committed_job",
            "stale",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_written_rows(self, job: ImportJob) -> int | None:
        return imports.write_progress(job)

    @extend_schema_field(serializers.BooleanField())
    def get_stale(self, job: ImportJob) -> bool:
        return imports.job_is_stale(job)

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict[str, Any]]:
        return job.errors_preview[:PREVIEW]

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_warnings(self, job: ImportJob) -> list[dict[str, Any]]:
        return job.warnings_preview[:PREVIEW]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_report_url(self, job: ImportJob) -> str | None:
        if not job.report:
            return None
        request = self.context.get("request")
        path = f"/api/v1/imports/{job.pk}/report/"
        return request.build_absolute_uri(path) if request else path


class ImportUploadSerializer(serializers.Serializer):
    """The multipart upload that starts a job."""

    file = serializers.FileField(help_text=gettext_lazy("The catalogue: XLSX, or CSV in UTF-8, GBK or GB18030."))
    fonds = serializers.IntegerField(help_text=gettext_lazy("The id of the fonds to import into."))
    check_only = serializers.BooleanField(
        default=True,
        help_text=gettext_lazy(
            "True: only check and report (commit later); false: import at once if the check passes."
        ),
    )
    keep_given_codes_as_original = serializers.BooleanField(default=False)
    accept_dates_outside_year = serializers.BooleanField(default=False)

    def validate_fonds(self, value: int) -> Fonds:
        # A fonds out of write reach is refused as such, whether or not it exists (no oracle).
        fonds = Fonds.objects.restrict(self.context["request"].user, Action.ADD).filter(pk=value).first()
        if fonds is None:
            raise exceptions.PermissionDenied(_("You can only import into fonds held by units in your reach."))
        return fonds

    def validate_file(self, upload: Any) -> Any:
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise serializers.ValidationError(_("Upload an .xlsx or .csv file."))
        imports.check_upload(upload)  # size limits; a Django ValidationError becomes a 400
        return upload


class ImportCommitSerializer(serializers.Serializer):
    detail = serializers.CharField()
    already_imported = serializers.BooleanField()
    job = ImportJobSerializer()


class CsvRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return (
            data
            if isinstance(data, bytes)
            else str(data.get("detail", "") if isinstance(data, dict) else data).encode()
        )


try:  # the shared declaration of error bodies, where the API has it
    from archives_site.api.errors import ERROR_RESPONSES as ERRORS
except ImportError:  # pragma: no cover - until then, the same body declared here

    class ErrorSerializer(serializers.Serializer):
        detail = serializers.CharField()
        code = serializers.CharField()
        fields = serializers.JSONField(required=False)

    _ERROR = OpenApiResponse(ErrorSerializer, description="An error: {detail, code}, with fields for invalid data.")
    ERRORS = {400: _ERROR, 401: _ERROR, 403: _ERROR, 404: _ERROR}


@extend_schema_view(
    list=extend_schema(responses={200: ImportJobSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ImportJobSerializer, **ERRORS}),
)
class ImportJobViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Spreadsheet imports into a fonds: checked in full first, then all-or-nothing."""

    queryset = ImportJob.objects.select_related("fonds").order_by("-id")
    serializer_class = ImportJobSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_parsers(self) -> list[Any]:
        if getattr(self, "action", None) == "create":
            # Multipart is the upload; JSON is read too, so that a body without a file is told
            # what is wrong with it (the fonds out of reach: 403; no file: 400) instead of 415.
            return [MultiPartParser(), FormParser(), JSONParser()]
        return super().get_parsers()

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportJobSerializer, **ERRORS},
    )
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        """Upload a catalogue: a job that checks it (and, unless check only, imports it)."""
        upload = ImportUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        job = imports.import_start(
            actor=request.user,
            fonds=data["fonds"],
            uploaded_file=data["file"],
            dry_run=data["check_only"],
            keep_given_codes_as_original=data["keep_given_codes_as_original"],
            accept_dates_outside_year=data["accept_dates_outside_year"],
        )
        job = self.queryset.get(pk=job.pk)
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(ImportCommitSerializer, description="The import has been started"),
            200: OpenApiResponse(ImportCommitSerializer, description="Already imported: the import started before"),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Any, pk: Any = None) -> Response:
        """Import a checked job's file, once: a second call is told it is imported already."""
        job = self.get_object()
        imported, started = imports.import_commit(actor=request.user, job=job)
        imported = self.queryset.get(pk=imported.pk)
        body = {
            "detail": _("The import has been started.") if started else _("This file has already been imported."),
            "already_imported": not started,
            "job": self.get_serializer(imported).data,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED if started else status.HTTP_200_OK)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The report"), **ERRORS}
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, CsvRenderer])
    def report(self, request: Any, pk: Any = None) -> FileResponse:
        """Every problem and warning of the job, one row each (CSV, UTF-8 with BOM)."""
        job = self.get_object()
        if not job.report:
            raise exceptions.NotFound(_("This job has no report yet."))
        return FileResponse(
            job.report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-report.csv", content_type="text/csv"
        )


__all__ = ["ImportJobViewSet", "ImportStatus"]
