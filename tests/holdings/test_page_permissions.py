"""The permission suite of the holdings and network pages (tests.permission_suite)."""

import pytest

from tests.factories import FondsFactory, ItemFactory, VolumeFactory
from tests.permission_suite import HtmlPermissionSuite, PageCase


@pytest.fixture
def kept_by_township(network):
    """Village A1's older records, now kept by the township: A1 reads them, only the township edits."""
    return FondsFactory(code="C100", creating_unit=network.village_a1, custodian_unit=network.township_a)


class TestItemPages(HtmlPermissionSuite):
    @pytest.fixture
    def case(self, world, village_archivist, lookup_operator, kept_by_township):
        return PageCase(
            list_url="/holdings/items/",
            detail_url=lambda item: f"/holdings/items/{item.pk}/",
            reader=village_archivist,
            in_scope=ItemFactory(fonds=world.village_a1_fonds, title="青石村村务公开栏建设方案"),
            out_of_scope=ItemFactory(fonds=world.village_b1_fonds, title="白沙村土地流转合同"),
            no_role_user=lookup_operator,
            list_marker=lambda item: item.title,
            edit_url=lambda item: f"/holdings/items/{item.pk}/edit/",
            edit_payload={"title": "改过的题名", "responsible": "x"},
            readable_not_writable=ItemFactory(fonds=kept_by_township, title="乡管的旧档"),
        )


class TestVolumePages(HtmlPermissionSuite):
    @pytest.fixture
    def case(self, world, village_archivist, lookup_operator, kept_by_township):
        return PageCase(
            list_url="/holdings/volumes/",
            detail_url=lambda volume: f"/holdings/volumes/{volume.pk}/",
            reader=village_archivist,
            in_scope=VolumeFactory(fonds=world.village_a1_fonds, title="青石村2015年村务卷"),
            out_of_scope=VolumeFactory(fonds=world.village_b1_fonds, title="白沙村2015年村务卷"),
            no_role_user=lookup_operator,
            list_marker=lambda volume: volume.title,
            edit_url=lambda volume: f"/holdings/volumes/{volume.pk}/edit/",
            edit_payload={"title": "改过的卷名"},
            readable_not_writable=VolumeFactory(fonds=kept_by_township, title="乡管的旧卷"),
        )


class TestFondsPages(HtmlPermissionSuite):
    @pytest.fixture
    def case(self, world, network, township_officer, lookup_operator):
        return PageCase(
            list_url="/holdings/fonds/",
            detail_url=lambda fonds: f"/holdings/fonds/{fonds.pk}/",
            reader=township_officer,
            in_scope=world.village_a2_fonds,
            out_of_scope=world.village_b1_fonds,
            no_role_user=lookup_operator,
            list_marker=lambda fonds: fonds.name,
            edit_url=lambda fonds: f"/holdings/fonds/{fonds.pk}/edit/",
            edit_payload={"code": "C999", "name": "改过的全宗名称"},
            # Village A1's records transferred to the archive (移交进馆): the township reads, the archive edits.
            readable_not_writable=FondsFactory(
                code="C190", name="青石村移交进馆", creating_unit=network.village_a1, custodian_unit=network.archive
            ),
        )


class TestUnitPages(HtmlPermissionSuite):
    @pytest.fixture
    def case(self, network, village_archivist, no_role_user):
        return PageCase(
            list_url="/units/",
            detail_url=lambda unit: f"/units/{unit.pk}/",
            reader=village_archivist,
            in_scope=network.village_a1,
            out_of_scope=network.village_b1,
            no_role_user=no_role_user,
            list_marker=lambda unit: unit.code,
        )


@pytest.mark.parametrize("year", ["99999", "-1", "abc", "0"])
def test_statistics_with_an_impossible_year_is_a_400_with_a_message(client, world, village_archivist, year):
    from tests.factories import PASSWORD

    client.login(username=village_archivist.username, password=PASSWORD)
    response = client.get("/holdings/statistics/", {"year": year}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "1500" in response.content.decode()


def test_item_list_with_invalid_filters_is_no_server_error(client, world, village_archivist):
    from tests.factories import PASSWORD

    client.login(username=village_archivist.username, password=PASSWORD)
    for params in ({"unit": "999999"}, {"year": "-1"}, {"fonds": "abc"}, {"category": "999999", "q": "村"}):
        assert client.get("/holdings/items/", params).status_code in (200, 400), params
        assert client.get("/holdings/volumes/", params).status_code in (200, 400), params
