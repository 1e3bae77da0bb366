import pytest

from tests.factories import UnitFactory
from tests.permission_suite import ApiPermissionSuite, PermissionCase
from villages.models import Unit, UnitKind

UNITS = "/api/v1/units/"


class TestUnitPermissionsForVillageArchivist(ApiPermissionSuite):
    """A village archivist sees their village (and the names above it), never another village."""

    @pytest.fixture
    def case(self, network, village_archivist, no_role_user):
        return PermissionCase(
            list_url=UNITS,
            reader=village_archivist,
            in_scope=network.village_a1,
            out_of_scope=network.village_a2,
            extra_hidden=[network.village_b1, network.township_b, network.department, network.archive],
            no_role_user=no_role_user,
            write_out_of_scope=("patch", f"{UNITS}{network.village_a1.pk}/", {"name": "改名村"}),
            make_more_in_scope=lambda n: [
                UnitFactory(parent=network.village_a1, kind=UnitKind.VILLAGE) for _ in range(n)
            ],
            max_list_queries=5,
        )


class TestUnitPermissionsForTownshipOfficer(ApiPermissionSuite):
    """A township officer edits the township's villages but cannot move one out of the township."""

    @pytest.fixture
    def case(self, network, township_officer, no_role_user):
        return PermissionCase(
            list_url=UNITS,
            reader=township_officer,
            in_scope=network.village_a2,
            out_of_scope=network.village_b1,
            extra_hidden=[network.township_b, network.department],
            no_role_user=no_role_user,
            write_out_of_scope=(
                "patch",
                f"{UNITS}{network.village_a1.pk}/",
                {"parent": network.county.pk},
            ),
            make_more_in_scope=lambda n: [UnitFactory(parent=network.township_a) for _ in range(n)],
            max_list_queries=5,
        )


def test_village_archivist_sees_the_names_of_units_above_it(api, network, village_archivist):
    ids = {row["id"] for row in api(village_archivist).get(UNITS).json()["results"]}
    assert ids == {network.county.pk, network.township_a.pk, network.village_a1.pk}


def test_village_archivist_cannot_rename_own_village(api, network, village_archivist):
    response = api(village_archivist).patch(f"{UNITS}{network.village_a1.pk}/", {"name": "改名村"})
    assert response.status_code == 403
    network.village_a1.refresh_from_db()
    assert network.village_a1.name == "青石村"


def test_township_officer_renames_a_village_of_the_township(api, network, township_officer):
    response = api(township_officer).patch(f"{UNITS}{network.village_a2.pk}/", {"name": "石门新村"})
    assert response.status_code == 200, response.content
    network.village_a2.refresh_from_db()
    assert network.village_a2.name == "石门新村"


def test_county_admin_adds_a_village_under_a_township(api, network, county_admin):
    response = api(county_admin).post(
        UNITS, {"code": "330199101009", "name": "新建村", "kind": "village", "parent": network.township_a.pk}
    )
    assert response.status_code == 201, response.content
    unit = Unit.objects.get(code="330199101009")
    assert unit.path == f"{network.township_a.path}{unit.pk}/"
    assert unit in Unit.objects.descendants_of(network.county)


def test_moving_a_village_moves_its_subtree_paths(api, network, county_admin):
    group = UnitFactory(parent=network.village_a1, kind=UnitKind.VILLAGE, name="青石村第一村民小组")
    response = api(county_admin).patch(f"{UNITS}{network.village_a1.pk}/", {"parent": network.township_b.pk})
    assert response.status_code == 200, response.content
    group.refresh_from_db()
    assert group.path.startswith(f"{network.township_b.path}{network.village_a1.pk}/")
    assert group.depth == 3
    assert set(Unit.objects.descendants_of(network.township_b)) >= {network.village_a1, group}


def test_units_keep_the_shape_of_the_network(api, network, county_admin):
    response = api(county_admin).patch(f"{UNITS}{network.township_a.pk}/", {"parent": network.archive.pk})
    assert response.status_code == 400 and "parent" in response.json()["fields"]


def test_only_the_county_administrator_moves_a_unit(api, network, township_officer):
    """Moving a unit moves every role held on it: a township officer cannot hand a village's
    records to another village by re-parenting it."""
    response = api(township_officer).patch(f"{UNITS}{network.village_a1.pk}/", {"parent": network.village_a2.pk})
    assert response.status_code == 403
    network.village_a1.refresh_from_db()
    assert network.village_a1.parent_id == network.township_a.pk


def test_a_unit_cannot_be_moved_under_its_own_village(api, network, county_admin):
    response = api(county_admin).patch(f"{UNITS}{network.township_a.pk}/", {"parent": network.village_a1.pk})
    assert response.status_code == 400
    assert "parent" in response.json()["fields"]


def test_units_filter_within_a_township(api, network, county_admin):
    response = api(county_admin).get(UNITS, {"within": network.township_a.pk})
    names = {row["name"] for row in response.json()["results"]}
    assert names == {"青石镇", "青石村", "石门村"}


def test_duplicate_code_is_refused_with_a_field_message(api, network, county_admin):
    response = api(county_admin).post(
        UNITS, {"code": network.village_a1.code, "name": "重复村", "kind": "village", "parent": network.township_a.pk}
    )
    assert response.status_code == 400
    body = response.json()
    assert "code" in body["fields"]
    assert body["detail"]


def test_errors_follow_accept_language(api, network, village_archivist):
    english = api(village_archivist, language="en").get(f"{UNITS}{network.village_b1.pk}/").json()
    chinese = api(village_archivist, language="zh-hans").get(f"{UNITS}{network.village_b1.pk}/").json()
    assert english["detail"].startswith("Not found")
    assert "未找到" in chinese["detail"] or "不存在" in chinese["detail"]


def test_superuser_without_roles_reaches_everything(api, network, db):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.org", "x-very-long-pass")
    ids = {row["id"] for row in api(root).get(UNITS, {"page_size": 100}).json()["results"]}
    assert ids == set(Unit.objects.values_list("id", flat=True))
