"""The staff pages of the holdings, as an archivist uses them."""

import pytest
from django.urls import reverse

from archives_site.models import AuditEvent
from archives_site.scoping import SYSTEM
from holdings.models import Item
from tests.factories import PASSWORD, ItemFactory


@pytest.fixture
def browser(client):
    def login(user):
        client.login(username=user.username, password=PASSWORD)
        return client

    return login


def test_item_list_searches_and_highlights_in_scope_only(browser, world, village_archivist):
    ItemFactory(fonds=world.village_a1_fonds, title="青石村土地承包经营权确权登记表")
    ItemFactory(fonds=world.village_b1_fonds, title="白沙村土地承包合同")
    html = browser(village_archivist).get(reverse("holdings:item-list"), {"q": "土地承包"}).content.decode()
    assert "青石村<mark>土地承包</mark>经营权确权登记表" in html
    assert "白沙村" not in html
    count = html.split('data-testid="result-count">', 1)[1].split("</p>", 1)[0]
    assert "1" in count and "约" not in count and "About" not in count


def test_fonds_page_shows_the_arrangement_tree_with_counts(browser, world, county_archivist):
    for _ in range(3):
        ItemFactory(fonds=world.archive_fonds, year=2019)
    ItemFactory(fonds=world.archive_fonds, year=2020)
    html = (
        browser(county_archivist).get(reverse("holdings:fonds-detail", args=[world.archive_fonds.pk])).content.decode()
    )
    assert "2019" in html and "2020" in html
    assert "retention=Y" in html


def test_filing_an_item_through_the_form(browser, world, village_archivist):
    client = browser(village_archivist)
    data = {
        "fonds": world.village_a1_fonds.pk,
        "category": Item._meta.get_field("category").related_model.objects.get(code="WS").pk,
        "year": 2024,
        "retention": Item._meta.get_field("retention").related_model.objects.get(code="D10").pk,
        "org_code": "",
        "title": "村务监督委员会工作记录",
        "date": "2024-13-01",
        "open_status": "unreviewed",
        "carrier": "paper",
    }
    response = client.post(reverse("holdings:item-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["date"]
    assert "01–12" in response.content.decode()
    assert not Item.objects.exists()
    data["date"] = "2024-05-01"  # people type dashes; the catalogue keeps YYYYMMDD
    response = client.post(reverse("holdings:item-create"), data)
    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.reference_code, item.date) == ("C101-WS·2024-D10-0001", "20240501")


def test_xlsx_export_is_audited(browser, world, county_archivist, django_capture_on_commit_callbacks):
    # Exports run as a job (holdings.exports; the whole flow is in test_exports.py).
    ItemFactory(fonds=world.archive_fonds)
    client = browser(county_archivist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{reverse('holdings:item-export', args=['xlsx'])}?fonds={world.archive_fonds.pk}")
    assert response.status_code == 302
    download = client.get(f"{response['Location']}download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert AuditEvent.objects.filter(action="holdings.export", actor=county_archivist).exists()


def test_statistics_page_counts_what_is_in_reach(browser, world, village_archivist):
    ItemFactory(fonds=world.village_a1_fonds)
    ItemFactory(fonds=world.village_b1_fonds)
    html = browser(village_archivist).get(reverse("holdings:statistics")).content.decode()
    assert 'data-testid="annual-table"' in html


def test_lookup_operator_has_no_holdings_pages(browser, world, lookup_operator):
    assert browser(lookup_operator).get(reverse("holdings:item-list")).status_code == 403


def test_fonds_tree_counts_volumes_beside_items(browser, world, county_archivist):
    from holdings import services
    from tests.factories import category, retention

    services.volume_create(
        actor=SYSTEM,
        fonds=world.archive_fonds,
        category=category("WS"),
        retention=retention("Y"),
        year=2019,
        title="2019年度会议记录汇编",
    )
    ItemFactory(fonds=world.archive_fonds, year=2019)
    html = (
        browser(county_archivist).get(reverse("holdings:fonds-detail", args=[world.archive_fonds.pk])).content.decode()
    )
    assert "1 卷" in html or "1 volumes" in html


def test_renumbering_from_the_item_page_is_audited(browser, world, county_archivist):
    from archives_site.models import AuditEvent
    from tests.factories import retention

    item = ItemFactory(fonds=world.archive_fonds, year=2015)
    client = browser(county_archivist)
    response = client.post(
        reverse("holdings:item-renumber", args=[item.pk]),
        {"year": 2016, "retention": retention("Y").pk, "org_code": "BGS", "reason": "年度著录错误"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.reference_code == "J001-WS·2016-Y-BGS-0001"
    assert AuditEvent.objects.get(action="item.renumber").reason == "年度著录错误"


def test_a_village_archivist_cannot_renumber_another_villages_item(browser, world, village_archivist):
    item = ItemFactory(fonds=world.village_b1_fonds)
    response = browser(village_archivist).post(reverse("holdings:item-renumber", args=[item.pk]), {"year": 2016})
    assert response.status_code == 404


def test_volume_list_and_page_show_the_volume_and_its_items_in_scope_only(browser, world, village_archivist):
    from tests.factories import VolumeFactory

    volume = VolumeFactory(fonds=world.village_a1_fonds, title="青石村二〇一五年土地承包材料")
    foreign = VolumeFactory(fonds=world.village_b1_fonds, title="白沙村二〇一五年土地承包材料")
    ItemFactory(fonds=world.village_a1_fonds, volume=volume, title="土地承包合同（张堃）")
    client = browser(village_archivist)
    html = client.get(reverse("holdings:volume-list"), {"q": "土地承包"}).content.decode()
    assert "青石村二〇一五年<mark>土地承包</mark>材料" in html
    assert "白沙村" not in html
    assert reverse("holdings:volume-detail", args=[volume.pk]) in html

    page = client.get(reverse("holdings:volume-detail", args=[volume.pk])).content.decode()
    assert "土地承包合同（张堃）" in page
    assert 'data-testid="volume-item-count">1<' in page
    assert client.get(reverse("holdings:volume-detail", args=[foreign.pk])).status_code == 404
    item_page = client.get(reverse("holdings:item-detail", args=[volume.items.get().pk])).content.decode()
    assert reverse("holdings:volume-detail", args=[volume.pk]) in item_page


def test_filing_and_editing_a_volume_through_the_form(browser, world, village_archivist):
    from holdings.models import Volume

    client = browser(village_archivist)
    data = {
        "fonds": world.village_a1_fonds.pk,
        "category": Item._meta.get_field("category").related_model.objects.get(code="WS").pk,
        "year": 2015,
        "retention": Item._meta.get_field("retention").related_model.objects.get(code="Y").pk,
        "org_code": "",
        "title": "青石村二〇一五年村务公开材料",
        "start_date": "2015-12-01",
        "end_date": "2015-03-01",
        "open_status": "unreviewed",
        "carrier": "paper",
    }
    response = client.post(reverse("holdings:volume-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"]  # before the start: refused, nothing filed
    assert not Volume.objects.exists()
    data["end_date"] = "2015.12.31"
    response = client.post(reverse("holdings:volume-create"), data)
    volume = Volume.objects.get()
    assert response.status_code == 302 and response.url == reverse("holdings:volume-detail", args=[volume.pk])
    assert (volume.start_date, volume.end_date, volume.number) == ("20151201", "20151231", 1)
    assert volume.reference_code  # filed: numbered and coded by the service

    page = client.get(reverse("holdings:volume-update", args=[volume.pk]))
    assert page.context["form"].fields["year"].disabled  # the class is locked once filed
    data.update(title="青石村二〇一五年村务公开材料（补充）", page_count=12)
    response = client.post(reverse("holdings:volume-update", args=[volume.pk]), data)
    assert response.status_code == 302
    volume.refresh_from_db()
    assert (volume.title, volume.page_count) == ("青石村二〇一五年村务公开材料（补充）", 12)


def test_filing_an_item_into_a_volume_from_the_volume_page(browser, world, village_archivist, other_village_archivist):
    from tests.factories import VolumeFactory

    volume = VolumeFactory(fonds=world.village_a1_fonds, year=2016, title="青石村二〇一六年财务凭证")
    client = browser(village_archivist)
    page = client.get(reverse("holdings:volume-detail", args=[volume.pk])).content.decode()
    assert f"{reverse('holdings:item-create')}?volume={volume.pk}" in page

    form_page = client.get(reverse("holdings:item-create"), {"volume": volume.pk})
    assert 'data-testid="in-volume"' in form_page.content.decode()
    initial = form_page.context["form"].initial
    assert (initial["volume"], initial["fonds"], initial["year"]) == (volume.pk, volume.fonds_id, 2016)
    data = {
        name: value
        for name, value in initial.items()
        if name in ("volume", "fonds", "category", "year", "retention", "org_code", "open_status")
    }
    data.update(title="二〇一六年一月记账凭证", carrier="paper", year=2020)  # the class is the volume's
    response = client.post(reverse("holdings:item-create") + f"?volume={volume.pk}", data)
    assert response.status_code == 302, response.context["form"].errors
    item = volume.items.get()
    assert (item.title, item.number, item.year) == ("二〇一六年一月记账凭证", 1, 2016)  # numbered within the volume

    # Another village's archivist cannot slip an item into this volume.
    other = browser(other_village_archivist)
    data["title"] = "不应归入的文件"
    response = other.post(reverse("holdings:item-create"), data)
    assert response.status_code == 200 and "volume" in response.context["form"].errors
    assert volume.items.count() == 1


def test_the_forms_offer_only_fields_the_services_write():
    """A form field the filing services do not take would be dropped without a word."""
    from holdings import services
    from holdings.forms import ItemForm, VolumeForm

    assert set(ItemForm._meta.fields) <= set(services.ITEM_FIELDS)
    assert set(VolumeForm._meta.fields) <= set(services.VOLUME_FIELDS)
