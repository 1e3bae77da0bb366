"""The county's template and a village's catalogue on the staff pages: the county starts from
the default, edits its draft (headings, entries, moves, removals) and publishes it; a village
sees the new version's changes, adopts the ticked ones, marks entries not applicable and keeps
its own entries. Drafts are the county's alone; another village's catalogue is 404."""

from __future__ import annotations

import re

import pytest

from archives_site.models import AuditEvent
from tests.factories import PASSWORD, UnitFactory
from tests.permission_suite import HtmlPermissionSuite, PageCase
from villages import catalogues
from villages.models import CatalogueEntry, CatalogueTemplate, TemplateStatus, VillageCatalogue


def _login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def published(network, county_admin):
    template = catalogues.template_load_default(actor=county_admin, county=network.county)
    return catalogues.template_publish(actor=county_admin, template=template)


def _codes_in_order(page: str, testid: str = "template-entry") -> list[str]:
    return re.findall(rf'data-testid="(?:{testid}|template-heading|catalogue-heading)" data-code="([^"]+)"', page)


def test_the_county_starts_from_the_default_edits_its_draft_and_publishes_it(client, network, county_admin):
    c = _login(client, county_admin)
    listing = c.get("/units/templates/").content.decode()
    assert 'data-testid="load-default"' in listing
    started = c.post("/units/templates/start/", {"county": network.county.pk})
    draft = CatalogueTemplate.objects.get(unit=network.county)
    assert started.status_code == 302 and started["Location"] == f"/units/templates/{draft.pk}/"
    # A second click opens the same draft: no second template.
    assert c.post("/units/templates/start/", {"county": network.county.pk})["Location"] == started["Location"]
    assert CatalogueTemplate.objects.count() == 1

    # A new heading, then an entry under the first heading: it shows under that heading.
    c.post(f"/units/templates/{draft.pk}/entries/new/", {"code": "X", "title": "特色档案"})
    first = draft.entries.get(code="A")
    saved = c.post(
        f"/units/templates/{draft.pk}/entries/new/?parent={first.pk}",
        {
            "parent": first.pk,
            "code": "A99",
            "title": "党员积分管理材料",
            "category_code": "WS",
            "retention_code": "D30",
            "frequency": "yearly",
            "required": "on",
            "for_villages": "on",
        },
    )
    assert saved.status_code == 302
    entry = draft.entries.get(code="A99")
    assert (entry.parent_id, entry.required, entry.for_communities) == (first.pk, True, False)
    order = _codes_in_order(c.get(f"/units/templates/{draft.pk}/").content.decode())
    assert order.index("A99") < order.index("B") and order[-1] == "X"

    # Moved under the new heading: it shows there.
    heading_x = draft.entries.get(code="X")
    c.post(
        f"/units/templates/entries/{entry.pk}/edit/",
        {"parent": heading_x.pk, "code": "X01", "title": "党员积分管理材料", "category_code": "WS"}
        | {"retention_code": "D30", "frequency": "yearly"},
    )
    entry.refresh_from_db()
    assert (entry.code, entry.parent_id, entry.required) == ("X01", heading_x.pk, False)
    order = _codes_in_order(c.get(f"/units/templates/{draft.pk}/").content.decode())
    assert order[-2:] == ["X", "X01"]

    # A clash of codes is said on the form, not a 500.
    clash = c.post(
        f"/units/templates/entries/{entry.pk}/edit/",
        {"parent": heading_x.pk, "code": "A01"}
        | {"title": "t", "category_code": "WS", "retention_code": "D30", "frequency": "yearly"},
    )
    assert clash.status_code == 200 and 'data-testid="form-errors"' in clash.content.decode()
    assert draft.entries.filter(code="A01").count() == 1

    # Removing a heading asks first, then takes its entries with it.
    assert "X01" in c.get(f"/units/templates/entries/{heading_x.pk}/delete/").content.decode()
    c.post(f"/units/templates/entries/{heading_x.pk}/delete/")
    assert not draft.entries.filter(code__in=["X", "X01"]).exists()

    # Publishing: confirm, publish, frozen from then on.
    assert 'data-testid="confirm-publish"' in c.get(f"/units/templates/{draft.pk}/publish/").content.decode()
    assert c.post(f"/units/templates/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.PUBLISHED
    a01 = draft.entries.get(code="A01")
    frozen = c.get(f"/units/templates/entries/{a01.pk}/edit/", follow=True)
    assert frozen.redirect_chain[-1][0] == f"/units/templates/{draft.pk}/"
    assert "已发布并冻结" in frozen.content.decode()  # says why, and the page offers a new version
    assert c.post(f"/units/templates/entries/{a01.pk}/delete/").status_code == 302
    assert draft.entries.filter(code="A01").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"template.create", "template.entry_add", "template.entry_change", "template.entry_delete"} <= actions
    assert "template.publish" in actions


def test_a_village_sees_the_new_version_adopts_what_it_ticks_and_keeps_the_rest_listed(
    client, published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    c = _login(client, county_admin)
    c.post("/units/templates/start/", {"county": network.county.pk})
    draft = CatalogueTemplate.objects.get(unit=network.county, status=TemplateStatus.DRAFT)
    assert draft.version == 2
    g = draft.entries.get(code="G")
    c.post(
        f"/units/templates/{draft.pk}/entries/new/?parent={g.pk}",
        {"parent": g.pk, "code": "G06", "title": "殡葬改革材料", "category_code": "WS"}
        | {"retention_code": "D30", "frequency": "yearly", "for_villages": "on", "for_communities": "on"},
    )
    b04 = draft.entries.get(code="B04")
    c.post(
        f"/units/templates/entries/{b04.pk}/edit/",
        {"parent": b04.parent_id, "code": "B04", "title": "村务公开记录", "category_code": b04.category_code}
        | {"retention_code": b04.retention_code, "frequency": b04.frequency, "for_villages": "on"},
    )
    publish_page = c.get(f"/units/templates/{draft.pk}/publish/").content.decode()
    assert 'data-kind="added" data-code="G06"' in publish_page and 'data-kind="changed" data-code="B04"' in publish_page
    c.post(f"/units/templates/{draft.pk}/publish/")

    v = _login(client, village_archivist)
    filing_page = v.get("/holdings/catalogue/").content.decode()
    assert 'data-testid="newer-version"' in filing_page
    manage = v.get(f"/units/{network.village_a1.pk}/catalogue/").content.decode()
    assert sorted(re.findall(r'data-kind="(\w+)" data-code="([^"]+)"', manage)) == [
        ("added", "G06"),
        ("changed", "B04"),
    ]
    assert manage.count('name="key"') == 2  # each with its checkbox
    g06_key = draft.entries.get(code="G06").key
    assert v.post(f"/units/{network.village_a1.pk}/catalogue/adopt/", {"key": [g06_key]}).status_code == 302
    live = {e.code: e for e in catalogue.entries.filter(retired_at__isnull=True)}
    assert "G06" in live and live["B04"].title != "村务公开记录"
    manage = v.get(f"/units/{network.village_a1.pk}/catalogue/").content.decode()
    assert re.findall(r'data-kind="\w+" data-code="([^"]+)"', manage) == ["B04"]
    # A second submission of the same ticks adopts nothing more.
    v.post(f"/units/{network.village_a1.pk}/catalogue/adopt/", {"key": [g06_key]})
    assert catalogue.entries.filter(code="G06", retired_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="catalogue.adopt").count() == 1
    # Adopting the rest puts the catalogue on version 2.
    v.post(f"/units/{network.village_a1.pk}/catalogue/adopt/", {"key": [b04.key]})
    catalogue.refresh_from_db()
    assert catalogue.template_id == draft.pk


def test_not_applicable_with_a_reason_and_the_villages_own_entries(
    client, published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    c = _login(client, village_archivist)
    entry = catalogue.entries.get(code="B04")
    url = f"/units/catalogue-entries/{entry.pk}/applicability/"
    empty = c.post(url, {"reason": "  "})
    assert empty.status_code == 200 and 'data-testid="form-errors"' in empty.content.decode()
    assert c.post(url, {"reason": "与党务公开合并"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.applicable, entry.not_applicable_reason) == (False, "与党务公开合并")
    assert "与党务公开合并" in c.get(f"/units/{network.village_a1.pk}/catalogue/").content.decode()
    c.post(url, {"applicable": "1"})
    entry.refresh_from_db()
    assert entry.applicable and entry.not_applicable_reason == ""

    heading = catalogue.entries.get(code="K")
    new = f"/units/{network.village_a1.pk}/catalogue/entries/new/"
    form = {"parent": heading.pk, "code": "K09", "title": "农民画作品", "category_code": "SW"}
    form |= {"retention_code": "Y", "frequency": "per_event"}
    assert c.post(new, form).status_code == 302
    local = catalogue.entries.get(code="K09")
    assert local.is_local and local.parent_id == heading.pk
    page = c.get("/holdings/catalogue/").content.decode()
    assert "农民画作品" in page
    order = re.findall(r'data-code="([^"]+)"', page)
    assert order.index("K09") > order.index("K01")  # under its heading, after the county's entries
    duplicate = c.post(new, form | {"title": "另一条"})
    assert duplicate.status_code == 200 and catalogue.entries.filter(code="K09").count() == 1
    nul = c.post(new, form | {"code": "K10", "title": "农\x00民画"})
    assert nul.status_code == 200 and not catalogue.entries.filter(code="K10").exists()
    # The county's entries are changed by a new version, not here.
    assert c.get(f"/units/catalogue-entries/{entry.pk}/edit/").status_code == 404
    c.post(f"/units/catalogue-entries/{local.pk}/edit/", form | {"title": "农民画"})
    local.refresh_from_db()
    assert local.title == "农民画"


def test_a_new_village_gets_its_catalogue_from_the_township_once(client, published, network, township_officer):
    village = UnitFactory(code="330199101009", name="新建村", parent=network.township_a)
    c = _login(client, township_officer)
    assert "新建村" in c.get("/holdings/catalogue/").content.decode()
    assert 'data-testid="derive"' in c.get(f"/units/{village.pk}/catalogue/").content.decode()
    c.post(f"/units/{village.pk}/catalogue/")
    c.post(f"/units/{village.pk}/catalogue/")  # a second click
    assert VillageCatalogue.objects.filter(unit=village).count() == 1
    assert AuditEvent.objects.filter(action="catalogue.create").count() == 1


def test_drafts_are_the_countys_alone(client, published, network, county_admin, village_archivist, township_officer):
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    for user in (village_archivist, township_officer):
        c = _login(client, user)
        assert f"/units/templates/{draft.pk}/" not in c.get("/units/templates/").content.decode()
        assert c.get(f"/units/templates/{draft.pk}/").status_code == 404
        assert c.get(f"/units/templates/{draft.pk}/publish/").status_code == 404
        entry = draft.entries.get(code="A01")
        assert c.post(f"/units/templates/entries/{entry.pk}/delete/").status_code == 404
        assert c.post("/units/templates/start/", {"county": network.county.pk}).status_code == 404
        # The published version reads, without edit buttons.
        page = c.get(f"/units/templates/{published.pk}/").content.decode()
        assert 'data-testid="publish"' not in page and "A01" in page
    assert draft.entries.filter(code="A01").exists()


@pytest.mark.parametrize("query", ["?parent=abc", "?parent=99999999999999999999999", "?parent=-1"])
def test_odd_addresses_are_404_not_500(client, network, county_admin, query):
    draft = catalogues.template_load_default(actor=county_admin, county=network.county)
    c = _login(client, county_admin)
    assert c.get(f"/units/templates/{draft.pk}/entries/new/{query}").status_code == 404
    assert c.post("/units/templates/start/", {"county": "x\x00"}).status_code == 404


def test_an_archivist_reads_catalogues_but_changes_none(client, published, network, county_admin, county_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    entry = catalogue.entries.get(code="B04")
    c = _login(client, county_archivist)
    page = c.get(f"/units/{network.village_a1.pk}/catalogue/").content.decode()
    assert "B04" in page and 'data-testid="mark-not-applicable"' not in page
    assert c.post(f"/units/catalogue-entries/{entry.pk}/applicability/", {"reason": "x"}).status_code == 403
    assert c.post(f"/units/{network.village_a1.pk}/catalogue/adopt/", {"key": ["x"]}).status_code == 403
    assert CatalogueEntry.objects.get(pk=entry.pk).applicable


class TestCataloguePagePermissions(HtmlPermissionSuite):
    @pytest.fixture
    def case(self, published, network, county_admin, village_archivist, no_role_user):
        mine = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
        other = catalogues.catalogue_derive(actor=county_admin, unit=network.village_b1)
        mine_entry = mine.entries.get(code="B04")
        other_entry = other.entries.get(code="B04")
        mine_entry.unit_name, other_entry.unit_name = network.village_a1.name, network.village_b1.name
        return PageCase(
            list_url="/holdings/catalogue/",
            detail_url=lambda entry: f"/units/{entry.unit_id}/catalogue/",
            reader=village_archivist,
            in_scope=mine_entry,
            out_of_scope=other_entry,
            no_role_user=no_role_user,
            list_marker=lambda entry: entry.unit_name,
            edit_url=lambda entry: f"/units/catalogue-entries/{entry.pk}/applicability/",
            edit_payload={"reason": "不适用"},
        )
