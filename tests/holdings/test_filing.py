"""Filing against the village's catalogue: the catalogue page counts what was filed under each
entry, the filing form puts the item in the village's fonds with its code and its pages, and
another village's entries, pages and catalogue stay out of reach."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from archives_site.scoping import SYSTEM
from holdings import pages, services
from holdings.models import Category, Fonds, Item, PageImage, RetentionPeriod
from tests.factories import PASSWORD, FondsFactory, photo
from villages import catalogues


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def village(network):
    """青石村 (A1) and 白沙村 (B1) with a fonds each and a catalogue from the published default."""
    template = catalogues.template_load_default(actor=SYSTEM, county=network.county)
    catalogues.template_publish(actor=SYSTEM, template=template)
    FondsFactory(code="C101", name="青石村民委员会", creating_unit=network.village_a1)
    FondsFactory(code="C201", name="白沙村民委员会", creating_unit=network.village_b1)
    mine = catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_a1)
    theirs = catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_b1)
    return {
        "mine": mine,
        "theirs": theirs,
        "b01": mine.entries.get(code="B01"),
        "their_b01": theirs.entries.get(code="B01"),
    }


def _client(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def test_a_village_archivist_files_an_item_with_two_photos(client, village, village_archivist):
    c = _client(client, village_archivist)
    url = reverse("holdings:file-under-entry", args=[village["b01"].pk])
    form = c.get(url).content.decode()
    assert 'type="hidden" name="fonds"' in form  # a one-fonds user never picks a fonds
    assert "村民会议、村民代表会议记录与决议" in form
    response = c.post(
        url,
        {
            "nonce": _nonce(form),
            "fonds": _fonds_id(form),
            "year": 2025,
            "title": "2025年第一次村民代表会议记录",
            "date": "2025-03-12",
            "pages": [photo("p1.jpg", "white"), photo("p2.jpg", "gray")],
        },
    )
    item = Item.objects.get(title="2025年第一次村民代表会议记录")
    assert response.status_code == 302 and response["Location"] == reverse("holdings:item-detail", args=[item.pk])
    assert item.reference_code == "C101-WS·2025-Y-0001"
    assert (item.catalogue_entry, item.page_count, item.date) == (village["b01"], 2, "20250312")
    assert list(PageImage.objects.filter(item=item).values_list("number", flat=True)) == [1, 2]
    detail = c.get(response["Location"]).content.decode()
    assert detail.count('data-testid="page-image"') == 2 and "B01" in detail
    thumb = PageImage.objects.get(item=item, number=1)
    assert c.get(reverse("holdings:page-image", args=[thumb.pk, "thumbnail"])).status_code == 200
    # The catalogue page counts it under its entry for 2025.
    page = c.get(reverse("holdings:catalogue"), {"year": 2025}).content.decode()
    b01 = page.split('data-code="B01"')[1].split('data-testid="catalogue-entry"')[0]
    assert "1 件" in b01
    # Sending the same form again files nothing more.
    again = c.post(
        url, {"nonce": _nonce(form), "fonds": _fonds_id(form), "year": 2025, "title": "2025年第一次村民代表会议记录"}
    )
    assert again.status_code == 302 and Item.objects.filter(title="2025年第一次村民代表会议记录").count() == 1


def _fonds_id(form: str) -> str:
    return re.search(r'name="fonds" value="(\d+)"', form).group(1)


def test_a_bad_photo_files_nothing_and_says_which(client, village, village_archivist):
    c = _client(client, village_archivist)
    url = reverse("holdings:file-under-entry", args=[village["b01"].pk])
    form = c.get(url).content.decode()
    response = c.post(
        url,
        {
            "nonce": _nonce(form),
            "fonds": _fonds_id(form),
            "year": 2025,
            "title": "会议记录",
            "pages": [photo("p1.jpg"), SimpleUploadedFile("扫描.docx", b"PK not an image")],
        },
    )
    assert response.status_code == 200 and "扫描.docx" in response.content.decode()
    assert not Item.objects.filter(title="会议记录").exists() and not PageImage.objects.exists()


def test_other_villages_entries_pages_and_catalogues_are_out_of_reach(
    client, village, village_archivist, other_village_archivist, lookup_operator
):
    c = _client(client, village_archivist)
    assert c.get(reverse("holdings:file-under-entry", args=[village["their_b01"].pk])).status_code == 404
    assert c.get(reverse("holdings:catalogue"), {"unit": village["theirs"].unit_id}).status_code == 404
    heading = village["mine"].entries.get(code="B")
    assert c.get(reverse("holdings:file-under-entry", args=[heading.pk])).status_code == 404
    for odd in ("abc", "-1", "99999999999999999999", "²", "١٢"):
        assert c.get(reverse("holdings:catalogue"), {"unit": odd, "year": odd}).status_code in (200, 404)
    filed = _file(village)
    page = pages.pages_add(actor=SYSTEM, item=filed, files=[photo("p.jpg")])[0]
    other = _client(client, other_village_archivist)
    for kind in ("thumbnail", "reference", "master"):
        assert other.get(reverse("holdings:page-image", args=[page.pk, kind])).status_code == 404
    assert other.get(reverse("holdings:page-image", args=[page.pk, "nonsense"])).status_code == 404
    operator = _client(client, lookup_operator)  # no catalogue role at all
    assert operator.get(reverse("holdings:catalogue")).status_code == 403
    assert operator.post(reverse("holdings:file-under-entry", args=[village["b01"].pk])).status_code == 403


def _file(village):
    entry = village["b01"]
    return services.item_create(
        actor=SYSTEM,
        fonds=Fonds.objects.get(code="C101"),
        category=Category.objects.get(code="WS"),
        retention=RetentionPeriod.objects.get(code="Y"),
        year=2024,
        title="村民代表会议记录",
        catalogue_entry=entry,
    )


@pytest.mark.parametrize(
    "params",
    [
        {"after": "²"},
        {"before": "١٢"},
        {"page": "²"},
        {"ordering": "year", "start": "²"},
        {"ordering": "-year", "start": "³³"},
    ],
)
def test_digits_that_are_no_numbers_are_ignored_on_record_lists(client, network, county_archivist, params):
    """``"²".isdigit()`` is true but ``int("²")`` fails: such a value is absent, not a 500."""
    c = _client(client, county_archivist)
    for url in (reverse("holdings:item-list"), reverse("holdings:volume-list")):
        assert c.get(url, params).status_code == 200, (url, params)


def test_an_item_stays_in_its_entrys_category_and_retention_and_its_village(village, network):
    item = _file(village)
    with pytest.raises(ValidationError) as category:  # B01 is filed as 文书
        services.record_update(record=item, actor=SYSTEM, category=Category.objects.get(code="ZP"))
    assert "category" in category.value.message_dict
    draft = services.item_create(
        actor=SYSTEM,
        file=False,
        fonds=Fonds.objects.get(code="C101"),
        category=Category.objects.get(code="WS"),
        retention=RetentionPeriod.objects.get(code="D10"),
        year=2024,
        title="村民代表会议签到表",
    )
    with pytest.raises(ValidationError) as retention:  # B01 keeps its records permanently
        services.record_update(record=draft, actor=SYSTEM, catalogue_entry=village["b01"])
    assert "retention" in retention.value.message_dict
    with pytest.raises(ValidationError) as moved:  # renumbered into another village's fonds
        services.item_renumber(item=item, actor=SYSTEM, reason="移错", fonds=Fonds.objects.get(code="C201"))
    assert "catalogue_entry" in moved.value.message_dict
    with pytest.raises(ValidationError) as creator:  # the fonds' items are filed under 青石村's catalogue
        services.fonds_update(fonds=Fonds.objects.get(code="C101"), actor=SYSTEM, creating_unit=network.village_b1)
    assert "creating_unit" in creator.value.message_dict
    assert Item.objects.get(pk=item.pk).reference_code == item.reference_code  # nothing half-done


def test_a_draft_is_filed_only_under_an_entry_still_in_use(village, village_archivist):
    draft = services.item_create(
        actor=SYSTEM,
        file=False,
        fonds=Fonds.objects.get(code="C101"),
        category=Category.objects.get(code="WS"),
        retention=RetentionPeriod.objects.get(code="Y"),
        year=2024,
        title="村民代表会议记录",
        catalogue_entry=village["b01"],
    )
    catalogues.catalogue_entry_set_applicable(
        actor=village_archivist, entry=village["b01"], applicable=False, reason="并入B02"
    )
    with pytest.raises(ValidationError):
        services.item_file(item=Item.objects.get(pk=draft.pk), actor=SYSTEM)
    assert Item.objects.get(pk=draft.pk).number is None
