"""The reference template and the villages' catalogues over the API: read in reach, a newer
version's differences, adoption and not-applicable marks by the village; another village's
catalogue is 404 and a village cannot adopt for its neighbour."""

from __future__ import annotations

import pytest

from archives_site.models import AuditEvent
from tests.permission_suite import ApiPermissionSuite, PermissionCase
from villages import catalogues
from villages.models import CatalogueTemplate, VillageCatalogue


@pytest.fixture
def published(network, county_admin):
    template = catalogues.template_load_default(actor=county_admin, county=network.county)
    return catalogues.template_publish(actor=county_admin, template=template)


class TestVillageCataloguePermissions(ApiPermissionSuite):
    @pytest.fixture
    def case(self, published, network, county_admin, village_archivist, no_role_user):
        mine = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
        other = catalogues.catalogue_derive(actor=county_admin, unit=network.village_b1)
        entry = other.entries.filter(required=True).first()

        def more(n):
            pass  # one catalogue per village: the reader sees exactly one

        return PermissionCase(
            list_url="/api/v1/village-catalogues/",
            reader=village_archivist,
            in_scope=mine,
            out_of_scope=other,
            no_role_user=no_role_user,
            write_out_of_scope=(
                "post",
                f"/api/v1/village-catalogues/{mine.pk}/applicability/",
                {"entry": entry.pk, "applicable": False, "reason": "x"},
            ),
            make_more_in_scope=more,
            max_list_queries=10,
        )

    def test_write_landing_out_of_scope_is_403_and_saves_nothing(self, case, api):
        # An entry of another catalogue, named through one's own: not found, nothing changed.
        method, url, payload = case.write_out_of_scope
        response = getattr(api(case.reader), method)(url, payload, format="json")
        assert response.status_code == 404
        assert not VillageCatalogue.objects.get(pk=case.out_of_scope.pk).entries.filter(applicable=False).exists()


class TestCatalogueTemplatePermissions(ApiPermissionSuite):
    @pytest.fixture
    def case(self, published, network, village_archivist, no_role_user):
        from tests.factories import UnitFactory
        from villages.models import UnitKind

        elsewhere = UnitFactory(code="330299", name="邻县", kind=UnitKind.COUNTY)
        other = CatalogueTemplate.objects.create(unit=elsewhere, version=1, title="邻县模板")

        def more(n):
            pass

        return PermissionCase(
            list_url="/api/v1/catalogue-templates/",
            reader=village_archivist,
            in_scope=published,
            out_of_scope=other,
            no_role_user=no_role_user,
            write_out_of_scope=("post", "/api/v1/catalogue-templates/", {"title": "x"}),
            make_more_in_scope=more,
            max_list_queries=8,
        )

    def test_write_landing_out_of_scope_is_403_and_saves_nothing(self, case, api):
        response = api(case.reader).post(case.list_url, {"county": case.in_scope.unit_id}, format="json")
        assert response.status_code == 403  # the county's template is the county's to write
        assert CatalogueTemplate.objects.count() == 2


def test_the_village_sees_a_new_version_and_adopts_it_over_the_api(
    api, published, network, county_admin, village_archivist, other_village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    catalogues.template_entry_save(
        actor=county_admin,
        template=draft,
        parent=draft.entries.get(code="G"),
        code="G06",
        title="殡葬改革与移风易俗材料",
        category_code="WS",
        retention_code="D30",
        frequency="yearly",
    )
    catalogues.template_publish(actor=county_admin, template=draft)
    client = api(village_archivist)
    differences = client.get(f"/api/v1/village-catalogues/{catalogue.pk}/differences/").json()
    assert [(d["kind"], d["code"]) for d in differences] == [("added", "G06")]
    key = differences[0]["key"]
    assert (
        api(other_village_archivist)
        .post(f"/api/v1/village-catalogues/{catalogue.pk}/adopt/", {"keys": [key]})
        .status_code
        == 404
    )
    adopted = client.post(f"/api/v1/village-catalogues/{catalogue.pk}/adopt/", {"keys": [key]})
    assert adopted.status_code == 200 and [d["code"] for d in adopted.json()] == ["G06"]
    again = client.post(f"/api/v1/village-catalogues/{catalogue.pk}/adopt/", {"keys": [key]})
    assert again.json() == []  # a second click adopts nothing
    codes = {e["code"] for e in client.get(f"/api/v1/village-catalogues/{catalogue.pk}/").json()["entries"]}
    assert "G06" in codes
    assert AuditEvent.objects.filter(action="catalogue.adopt").count() == 1


def test_not_applicable_needs_a_reason_over_the_api(api, published, network, county_admin, village_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    entry = catalogue.entries.get(code="B04")
    url = f"/api/v1/village-catalogues/{catalogue.pk}/applicability/"
    client = api(village_archivist)
    assert client.post(url, {"entry": entry.pk, "applicable": False}).status_code == 400
    marked = client.post(url, {"entry": entry.pk, "applicable": False, "reason": "合并公开"})
    assert marked.status_code == 200 and marked.json()["applicable"] is False
    assert client.post(url, {"entry": 10**15, "applicable": True}).status_code == 404


def test_the_county_keeps_its_template_over_the_api(api, network, county_admin, village_archivist):
    client = api(county_admin)
    started = client.post("/api/v1/catalogue-templates/", {"county": network.county.pk}, format="json")
    assert started.status_code == 201 and started.json()["status"] == "draft" and started.json()["version"] == 1
    again = client.post("/api/v1/catalogue-templates/", {"county": network.county.pk}, format="json")
    assert again.json()["id"] == started.json()["id"]  # the same draft, not a second one
    url = f"/api/v1/catalogue-templates/{started.json()['id']}/"
    assert api(village_archivist).get(url).status_code == 404  # a draft is the county's alone
    heading = client.post(f"{url}entries/", {"code": "X", "title": "特色档案"}, format="json").json()
    entry = client.post(
        f"{url}entries/",
        {"parent": heading["id"], "code": "X01", "title": "农民画", "category_code": "SW", "retention_code": "Y"},
        format="json",
    )
    assert entry.status_code == 201 and entry.json()["parent"] == heading["id"]
    first = next(e for e in started.json()["entries"] if e["code"] == "A")
    moved = client.patch(
        f"{url}entries/{entry.json()['id']}/", {"parent": first["id"], "required": True}, format="json"
    )
    assert moved.status_code == 200 and (moved.json()["parent"], moved.json()["required"]) == (first["id"], True)
    codes = [e["code"] for e in client.get(url).json()["entries"]]
    assert codes.index("X01") < codes.index("B")  # entries in the order of the tree
    bad = client.post(f"{url}entries/", {"parent": heading["id"], "code": "X02", "title": "t", "category_code": "??"})
    assert bad.status_code == 400 and "category_code" in bad.json()["fields"]
    assert client.delete(f"{url}entries/{heading['id']}/").status_code == 204
    assert client.patch(url, {"title": "青溪区村级档案基本目录（2027）"}, format="json").status_code == 200
    published = client.post(f"{url}publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert client.post(f"{url}publish/").status_code == 200  # a second call changes nothing
    frozen = client.patch(f"{url}entries/{entry.json()['id']}/", {"title": "改"}, format="json")
    assert frozen.status_code == 400
    assert api(village_archivist).get(url).json()["title"] == "青溪区村级档案基本目录（2027）"
    assert api(village_archivist).post(f"{url}publish/").status_code == 403
    assert client.get(f"{url}entries/999999999999/").status_code == 405
    assert client.patch(f"{url}entries/999999999999/", {}, format="json").status_code == 404


def test_a_village_keeps_its_own_entries_over_the_api(
    api, published, network, county_admin, township_officer, village_archivist, other_village_archivist
):
    from tests.factories import UnitFactory

    village = UnitFactory(code="330199101009", name="新建村", parent=network.township_a)
    assert api(village_archivist).post("/api/v1/village-catalogues/", {"unit": village.pk}).status_code == 403
    made = api(township_officer).post("/api/v1/village-catalogues/", {"unit": village.pk})
    assert made.status_code == 201 and made.json()["unit"] == village.pk
    assert api(township_officer).post("/api/v1/village-catalogues/", {"unit": network.village_b1.pk}).status_code == 404
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    url = f"/api/v1/village-catalogues/{catalogue.pk}/local-entries/"
    heading = catalogue.entries.get(code="K")
    body = {"parent": heading.pk, "code": "K09", "title": "船鼓", "category_code": "SW", "retention_code": "Y"}
    assert api(other_village_archivist).post(url, body, format="json").status_code == 404
    added = api(village_archivist).post(url, body, format="json")
    assert added.status_code == 201 and added.json()["local"] is True
    assert api(village_archivist).post(url, body, format="json").status_code == 400  # the code is taken
    changed = api(village_archivist).patch(f"{url}{added.json()['id']}/", {"title": "船鼓队"}, format="json")
    assert changed.status_code == 200 and changed.json()["title"] == "船鼓队"
    county_entry = catalogue.entries.get(code="B04")
    assert api(village_archivist).patch(f"{url}{county_entry.pk}/", {"title": "x"}, format="json").status_code == 404
