"""Page images (DESIGN §8): masters stored once under their sha256 and checked after writing,
pages numbered gap-free per item, all-or-none uploads with the bad file named, derivatives
made off the request path, and the item's reach deciding who may add pages."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from archives_site.models import AuditEvent
from archives_site.scoping import SYSTEM
from holdings import pages
from holdings.models import MasterFile, PageImage, RecordStatus
from tests.factories import FondsFactory, ItemFactory, photo


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def item(network):
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    return ItemFactory(fonds=fonds, title="村民代表会议记录", page_count=None)


def test_photos_become_numbered_pages_with_masters_and_derivatives(
    item, village_archivist, django_capture_on_commit_callbacks
):
    first, second = photo("p1.jpg", "white"), photo("p2.jpg", "gray")
    expected = hashlib.sha256(first.read()).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        added = pages.pages_add(actor=village_archivist, item=item, files=[first, second])
    assert [page.number for page in added] == [1, 2]
    item.refresh_from_db()
    assert item.page_count == 2  # an item without a page count takes its pages'
    master = MasterFile.objects.get(pages__item=item, pages__number=1)
    assert master.sha256 == expected and master.hash_algorithm == "sha256"
    assert (master.format, master.width, master.height, master.dpi, master.colour_mode) == (
        "JPEG",
        1200,
        1600,
        300,
        "RGB",
    )
    with default_storage.open(master.storage_name, "rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == expected
    master.refresh_from_db()
    assert master.derivatives_ready
    with default_storage.open(master.thumbnail_name, "rb") as thumb:
        assert max(Image.open(thumb).size) == 320
    with default_storage.open(master.reference_name, "rb") as reference:
        assert max(Image.open(reference).size) == 1600
    event = AuditEvent.objects.filter(action="item.pages_add").latest("seq")
    assert event.data == {"pages": 2, "from": 1, "to": 2} and event.unit_id == item.custodian_unit_id


def test_the_same_scan_twice_is_one_master_and_numbering_continues(item, village_archivist):
    pages.pages_add(actor=village_archivist, item=item, files=[photo("a.jpg")])
    again = pages.pages_add(actor=village_archivist, item=item, files=[photo("a-again.jpg")])
    assert again[0].number == 2
    assert MasterFile.objects.count() == 1 and PageImage.objects.filter(item=item).count() == 2


def test_a_bad_file_is_named_and_nothing_is_added(item, village_archivist):
    damaged = photo("p2.jpg").read()[:2000]
    files = [
        photo("p1.jpg"),
        SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4 not an image"),
        SimpleUploadedFile("p2.jpg", damaged),
    ]
    with pytest.raises(ValidationError) as refused:
        pages.pages_add(actor=village_archivist, item=item, files=files)
    assert "会议记录.pdf" in refused.value.messages[0] and "JPEG" in refused.value.messages[0]
    assert not PageImage.objects.exists()
    with pytest.raises(ValidationError, match=r"p2\.jpg"):
        pages.pages_add(actor=village_archivist, item=item, files=[SimpleUploadedFile("p2.jpg", damaged)])


def test_limits_on_size_and_count(item, village_archivist, settings):
    settings.PAGE_UPLOAD_MAX_FILES = 2
    with pytest.raises(ValidationError, match="2"):
        pages.pages_add(actor=village_archivist, item=item, files=[photo("1.jpg"), photo("2.jpg"), photo("3.jpg")])
    settings.PAGE_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="MB"):
        pages.pages_add(actor=village_archivist, item=item, files=[photo("big.jpg")])
    assert not PageImage.objects.exists()


def test_a_decompression_bomb_is_refused(item, village_archivist, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValidationError):
        pages.pages_add(actor=village_archivist, item=item, files=[photo("bomb.png", fmt="PNG", size=(200, 200))])


def test_only_who_may_change_the_item_adds_pages(item, other_village_archivist, lookup_operator, village_archivist):
    for outsider in (other_village_archivist, lookup_operator, None):
        with pytest.raises(PermissionDenied):
            pages.pages_add(actor=outsider, item=item, files=[photo("p.jpg")])
    item.status = RecordStatus.WITHDRAWN
    item.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        pages.pages_add(actor=village_archivist, item=item, files=[photo("p.jpg")])
    assert not PageImage.objects.exists()


def test_a_damaged_master_reports_its_derivative_failure(item):
    master = pages.store_master(photo("p.jpg"))
    with default_storage.open(master.storage_name, "wb") as stored:  # damaged after arrival
        stored.write(b"\xff\xd8\xff garbage")
    assert pages.make_derivatives(master.pk) is False
    master.refresh_from_db()
    assert master.derivatives_error and not master.derivatives_ready
    assert pages.pages_add(actor=SYSTEM, item=item, files=[]) == []


def test_a_phones_mpo_photo_is_kept_as_a_jpeg(item, village_archivist):
    out = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (60, 80))])
    upload = SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), content_type="image/jpeg")
    page = pages.pages_add(actor=village_archivist, item=item, files=[upload])[0]
    assert page.master.format == "MPO" and page.master.storage_name.endswith(".jpg")
    assert pages.make_derivatives(page.master.pk)


def test_two_writers_of_the_same_scan_never_spoil_each_others_file(item, monkeypatch):
    """The second writer finds the first one's file half-written: it writes its own and renames
    it into place; it never deletes the file the first one is writing."""
    original = pages._place
    calls = []

    def slow_first_writer(name, content, sha256=None):
        if not calls:  # a partial file under the final name, as a first writer still busy would leave
            calls.append(name)
            assert default_storage.save(name, ContentFile(b"\xff\xd8 partial")) == name
        return original(name, content, sha256)

    monkeypatch.setattr(pages, "_place", slow_first_writer)
    master = pages.store_master(photo("p1.jpg"))
    with default_storage.open(master.storage_name, "rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == master.sha256
    assert not [n for n in default_storage.listdir(master.storage_name.rsplit("/", 1)[0])[1] if n.endswith(".part")]


def test_masters_whose_derivatives_were_never_made_are_swept(
    item, village_archivist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing queued
        pages.pages_add(actor=village_archivist, item=item, files=[photo("p1.jpg")])
    master = MasterFile.objects.get()
    assert pages.derivatives_owed() == []  # too recent: its task may still be on its way
    MasterFile.objects.filter(pk=master.pk).update(created_at=master.created_at - timedelta(hours=1))
    assert pages.derivatives_owed() == [master.pk]
    from holdings.tasks import page_derivatives_sweep

    page_derivatives_sweep.apply()  # eager in tests: makes them
    master.refresh_from_db()
    assert master.derivatives_ready and pages.derivatives_owed() == []
