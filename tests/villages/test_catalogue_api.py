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
        response = api(case.reader).post(case.list_url, {"title": "x"}, format="json")
        assert response.status_code in (403, 405)  # read-only over the API
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
