"""Page images (DESIGN §8): one model for every way pages arrive — a village archivist's photos
when filing, a digitisation batch, a lookup's page copies.

Masters are stored once under a name made of their sha256 (computed once on arrival, checked
again after writing) and never changed or moved; the same scan arriving twice is one file. A
thumbnail and a reference image are derived off the request path (Celery, ``ingest`` queue),
idempotently: a redelivered task finds them made. A page is visible exactly when its item is.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import secrets
import tempfile
import warnings
from collections.abc import Iterable
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from archives_site.audit import audit_record
from archives_site.celery import enqueue_on_commit
from archives_site.scoping import SYSTEM, Action

from .models import Item, MasterFile, PageImage, PageSource

# Pillow's format name → the extension of the stored master. Many phones write MPO: a JPEG with
# a second (depth or preview) image appended, read as JPEG by everything.
ACCEPTED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "TIFF": "tif"}
JPEG_FORMATS = ("JPEG", "MPO")
CHUNK = 1024 * 1024
DERIVATIVE_QUEUE = "ingest"  # DESIGN §7


class PageFileError(ValidationError):
    """A file that cannot become a page (not an image, too large, damaged); says which file."""


def _hash_to_temp(upload: IO[bytes], limit: int) -> tuple[str, int, IO[bytes]]:
    """Copy the upload to a temporary file, hashing as it goes (the one read of its bytes)."""
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (returned to the caller)
    if hasattr(upload, "seek"):
        upload.seek(0)
    while chunk := upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            spool.close()
            raise PageFileError(
                _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}, code="too_large"
            )
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return digest.hexdigest(), size, spool


def _describe(spool: IO[bytes]) -> dict[str, Any]:
    """The image's format, pixel size, resolution and colour mode; refuses what is no image,
    a format the archive does not keep, a damaged file or a decompression bomb."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(spool) as image:
                image.verify()
            spool.seek(0)
            with Image.open(spool) as image:
                fmt = image.format or ""
                info = {"format": fmt, "width": image.width, "height": image.height, "colour_mode": image.mode}
                dpi = image.info.get("dpi")
                if fmt in JPEG_FORMATS:  # verify() reads no JPEG data: decode it, at 1/8 scale
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()  # a truncated file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PageFileError(
            _("The file is not an image this system can keep (JPEG, PNG or TIFF)."), code="format"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways of saying "damaged"
        raise PageFileError(_("The image is damaged or incomplete."), code="damaged") from exc
    finally:
        spool.seek(0)
    if fmt not in ACCEPTED_FORMATS:
        raise PageFileError(_("The file is not an image this system can keep (JPEG, PNG or TIFF)."), code="format")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError, OverflowError):
        value = 0.0
    info["dpi"] = round(value) if math.isfinite(value) and 0 < value <= 100_000 else None
    return info


def _stored_hash(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _place(name: str, content: IO[bytes], sha256: str | None = None) -> None:
    """Write ``content`` under ``name`` so that no reader ever sees a partial file and nobody
    else's file is deleted: it is written under a name of its own, checked against ``sha256``
    when given, then renamed into place in one step (two writers of the same bytes both succeed)."""
    scratch = default_storage.save(f"{name}.{secrets.token_hex(8)}.part", File(content))
    try:
        if sha256 is not None and _stored_hash(scratch) != sha256:
            raise PageFileError(_("The file could not be stored intact; try again."), code="write_check")
        os.replace(default_storage.path(scratch), default_storage.path(name))
    finally:
        if default_storage.exists(scratch):
            default_storage.delete(scratch)


def store_master(upload: IO[bytes]) -> MasterFile:
    """The master for these bytes: the existing one if the same content arrived before, else a
    new file written once under its hash and read back to check it."""
    sha256, size, spool = _hash_to_temp(upload, settings.PAGE_UPLOAD_MAX_BYTES)
    with spool:
        existing = MasterFile.objects.filter(sha256=sha256).first()
        if existing is not None:
            return existing
        info = _describe(spool)
        name = f"masters/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ACCEPTED_FORMATS[info['format']]}"
        if not default_storage.exists(name) or _stored_hash(name) != sha256:
            _place(name, spool, sha256)
    try:
        with transaction.atomic():
            return MasterFile.objects.create(sha256=sha256, size=size, storage_name=name, **info)
    except IntegrityError:  # the same content, arriving at the same moment
        return MasterFile.objects.get(sha256=sha256)


def store_masters(files: Iterable[Any]) -> list[tuple[MasterFile, str]]:
    """Each uploaded image's master and original name; a file that cannot be kept raises a
    ValidationError naming it (the caller's transaction then keeps nothing)."""
    masters = []
    for upload in files:
        name = str(getattr(upload, "name", "") or "")[:255]
        try:
            masters.append((store_master(upload), name))
        except PageFileError as exc:
            raise ValidationError(
                _("%(file)s: %(problem)s") % {"file": name or _("(unnamed file)"), "problem": exc.messages[0]}
            ) from exc
    return masters


def check_upload_count(files: list[Any]) -> None:
    if len(files) > settings.PAGE_UPLOAD_MAX_FILES:
        raise ValidationError(
            _("At most %(n)s pages at a time: add the rest afterwards.") % {"n": settings.PAGE_UPLOAD_MAX_FILES}
        )


@transaction.atomic
def pages_add(
    *,
    actor: Any,
    item: Item,
    files: Iterable[Any],
    source: str = PageSource.PHONE,
    request: HttpRequest | None = None,
) -> list[PageImage]:
    """Append pages to an item, numbered after its last page, all or none: a file that cannot be
    kept is refused with its name and nothing is added. An item without a page count gets the
    number of its pages. The derivatives are queued when the transaction commits."""
    from .services import _refuse_read_only, _require_write

    files = list(files)
    check_upload_count(files)
    _require_write(actor, Action.CHANGE, item.custodian_unit_id)
    item = Item.objects.select_for_update().get(pk=item.pk)  # page numbers are gap-free per item
    _refuse_read_only(item)
    masters = store_masters(files)
    if not masters:
        return []
    last = item.pages.aggregate(m=Max("number"))["m"] or 0
    pages = PageImage.objects.bulk_create(
        PageImage(
            item=item,
            number=last + position,
            master=master,
            source=source,
            original_name=name,
            created_by=None if actor is SYSTEM else actor,
        )
        for position, (master, name) in enumerate(masters, start=1)
    )
    if not item.page_count:
        item.page_count = last + len(pages)
        item.save(update_fields=["page_count", "updated_at"])
    audit_record(
        action="item.pages_add",
        actor=actor,
        obj=item,
        request=request,
        data={"pages": len(pages), "from": last + 1, "to": last + len(pages)},
    )
    enqueue_derivatives([master for master, _name in masters])
    return pages


def enqueue_derivatives(masters: Iterable[MasterFile]) -> None:
    """Queue the making of the masters' derivatives when the transaction commits (those that
    lack them; the hourly sweep catches a queue that was down)."""
    pending = sorted({master.pk for master in masters if not master.derivatives_ready})
    if pending:
        from .tasks import page_derivatives

        enqueue_on_commit(page_derivatives, pending, queue=DERIVATIVE_QUEUE)


# --- Derivatives -------------------------------------------------------------------------------------


def _derivative(image: Image.Image, edge: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge))
    if copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def make_derivatives(master_id: int) -> bool:
    """Make a master's thumbnail and reference image (JPEG), decoding it once (JPEG: Pillow's
    ``draft`` decodes at a reduced scale). Idempotent: a master that has them is left alone.
    Returns whether they exist afterwards; a failure is recorded on the master."""
    master = MasterFile.objects.filter(pk=master_id).first()
    if master is None or master.derivatives_ready:
        return master is not None
    reference_edge, thumbnail_edge = settings.PAGE_REFERENCE_EDGE, settings.PAGE_THUMBNAIL_EDGE
    try:
        with default_storage.open(master.storage_name, "rb") as stored, Image.open(stored) as image:
            if image.format in JPEG_FORMATS:
                image.draft("RGB", (reference_edge, reference_edge))
            image = ImageOps.exif_transpose(image)  # a phone's photo the right way up
            image.load()
            reference = _derivative(image, reference_edge)
            thumbnail = _derivative(image, thumbnail_edge)
    except Exception as exc:  # a damaged master is reported on it, not retried for ever
        MasterFile.objects.filter(pk=master.pk).update(derivatives_error=str(exc)[:300])
        return False
    names = {}
    for kind, data in (("reference", reference), ("thumbnail", thumbnail)):
        name = f"derivatives/{master.sha256[:2]}/{master.sha256}-{kind}.jpg"
        _place(name, io.BytesIO(data))
        names[f"{kind}_name"] = name
    MasterFile.objects.filter(pk=master.pk).update(derivatives_error="", **names)
    return True


def derivatives_owed(*, older_than_minutes: int = 10, limit: int = 1000) -> list[int]:
    """Masters whose derivatives were never made and never failed (a broker that was down when
    the pages arrived, a worker lost mid-task): the periodic sweep queues them again."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        MasterFile.objects.filter(
            Q(thumbnail_name="") | Q(reference_name=""), derivatives_error="", created_at__lt=cutoff
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- Reading ---------------------------------------------------------------------------------------


MASTER_FILES = {"thumbnail": "thumbnail_name", "reference": "reference_name", "master": "storage_name"}


def file_response(
    master: MasterFile, kind: str, *, download_name: str = "", fallback: bool = True, no_store: bool = False
) -> FileResponse:
    """A master's thumbnail, reference image or master file, for a caller that has decided the
    user may see it. A derivative not made yet is served as the JPEG master when ``fallback``."""
    if kind not in MASTER_FILES:
        raise Http404
    name = getattr(master, MASTER_FILES[kind])
    if not name and kind != "master" and fallback and master.format in JPEG_FORMATS:
        name = master.storage_name
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg" if kind != "master" else None)
    if kind == "master":
        response["Content-Disposition"] = (
            f'attachment; filename="{download_name or master.sha256[:16]}.{name.rsplit(".", 1)[-1]}"'
        )
    if no_store:
        patch_cache_control(response, private=True, no_store=True, max_age=0)
    else:
        patch_cache_control(response, private=True, max_age=3600)
    return response


def item_pages(item: Item) -> list[PageImage]:
    """The pages of an item the caller has already been allowed to see, in order."""
    return list(item.pages.select_related("master").order_by("number"))
