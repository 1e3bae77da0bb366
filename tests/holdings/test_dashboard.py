"""The home dashboard: each role sees its work, in Chinese, with numbers that open their lists."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from archives_site.scoping import SYSTEM
from holdings import services
from holdings.models import ImportJob, ImportStatus
from tests.factories import PASSWORD, ItemFactory, RoleAssignmentFactory, UserFactory, category, retention
from villages.roles import Role

YEAR = timezone.localdate().year


@pytest.fixture
def home(client):
    """``home(user)`` → the dashboard's HTML as ``user`` sees it."""

    def get(user) -> str:
        client.login(username=user.username, password=PASSWORD)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        return response.content.decode()

    return get


def panel(html: str, key: str) -> str:
    """The HTML of one panel (empty when the dashboard has no such panel)."""
    match = re.search(rf'data-panel="{key}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def figure(html: str, testid: str) -> tuple[str, str]:
    """(value text, link) of a figure."""
    block = re.search(rf'data-testid="figure-{testid}">(.*?)</div>', html, re.S)
    assert block, f"no figure {testid}"
    link = re.search(r'href="([^"]*)"', block.group(1))
    value = re.sub(r"<[^>]+>", "", block.group(1).split("<dd", 1)[1].split(">", 1)[1])
    return " ".join(value.split()), (link.group(1).replace("&amp;", "&") if link else "")


def panels(html: str) -> list[str]:
    return re.findall(r'data-panel="([a-z]+)"', html)


def test_village_archivist_sees_a_new_draft_in_drafts_to_file_and_its_link_lists_it(
    client, home, world, village_archivist
):
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR, title="青石村村民代表会议记录（第1次）")
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR - 1)
    ItemFactory(fonds=world.village_b1_fonds, year=YEAR)  # another township's village: not counted
    html = home(village_archivist)  # the cached figures are computed now
    assert panels(html) == ["completeness", "filing", "jobs"]
    assert figure(html, "drafts")[0] == "0 件"

    services.item_create(
        actor=village_archivist,
        file=False,
        fonds=world.village_a1_fonds,
        category=category("WS"),
        retention=retention("Y"),
        year=YEAR,
        title="青石村村民代表会议记录（第2次）草稿",
    )
    html = home(village_archivist)
    filing = panel(html, "filing")
    assert "归档工作" in filing
    value, link = figure(filing, "drafts")
    assert value == "1 件"  # live: the draft just saved is counted at once
    assert figure(filing, "filed-this-year") == (
        "1 件",
        f"/holdings/items/?year={YEAR}&status=filed",
    )
    assert figure(filing, "filed-last-year")[0] == "1 件"
    assert f"{YEAR}年度已归档" in filing
    listed = client.get(link).content.decode()
    assert "第2次）草稿" in listed and "第1次）" not in listed  # the link opens exactly the drafts


def test_filing_chart_is_labelled_and_has_a_data_table(home, world, village_archivist):
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR)
    filing = panel(home(village_archivist), "filing")
    assert 'role="img"' in filing and "dashboard-chart" in filing
    assert 'data-testid="chart-table"' in filing and "数据表" in filing
    assert "年度" in filing and "单位：件" in filing
    data = json.loads(re.search(r'<script[^>]*type="application/json">(.*?)</script>', filing, re.S).group(1))
    assert data["unit"] == "件" and data["xLabel"] == "年度"  # the chart's axis title and tooltip unit
    assert data["labels"][-1] == str(YEAR) and data["values"][-1] == 1


def test_township_officer_sees_each_village_and_a_role_change_at_once(home, world, network, township_officer):
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR)
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR)
    ItemFactory(fonds=world.village_a2_fonds, year=YEAR - 3)
    ItemFactory(fonds=world.village_b1_fonds, year=YEAR)
    html = home(township_officer)
    assert panels(html) == ["completeness", "filing", "jobs", "units", "people", "network"]
    units = panel(html, "units")
    assert "青石镇下属单位" in units
    table = units.split('data-testid="chart-table"', 1)[1]
    assert re.search(r"青石村</a></th>\s*<td[^>]*>2 件</td>\s*<td[^>]*>2 件</td>", table)
    assert re.search(r"石门村</a></th>\s*<td[^>]*>0 件</td>\s*<td[^>]*>1 件</td>", table)
    assert "白沙村" not in units
    assert f"unit={network.village_a1.pk}&amp;year={YEAR}&amp;status=filed" in table

    RoleAssignmentFactory(user=township_officer, role=Role.TOWNSHIP_OFFICER, unit=network.township_b)
    html = home(township_officer)  # the figures are cached, but by reach: new reach, new figures
    units = panel(html, "units")
    assert "青石镇" in units and "白沙镇" in units
    assert figure(panel(html, "filing"), "filed-this-year")[0] == "3 件"


def test_county_admin_sees_review_people_without_roles_and_county_units(home, world, network, county_admin):
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR - 30, open_status="unreviewed")
    ItemFactory(fonds=world.archive_fonds, year=YEAR, open_status="controlled")
    UserFactory(username="newcomer")  # an account nobody gave a role yet
    html = home(county_admin)
    assert {"filing", "review", "jobs", "units", "people", "network"} <= set(panels(html))
    review = panel(html, "review")
    assert "待审核" in review
    assert figure(review, "opening-due")[0] == "1 件"
    assert figure(review, "controlled") == ("1 件", "/holdings/items/?open_status=controlled")
    assert figure(panel(html, "people"), "users-without-roles")[0] == "1 人"
    units = panel(html, "units")
    assert "青溪区下属单位" in units and "青石镇" in units and "白沙镇" in units


def test_imports_waiting_and_failed_show_for_their_custodian_only(
    home, world, village_archivist, other_village_archivist
):
    for status in (ImportStatus.CHECKED, ImportStatus.FAILED):
        ImportJob.objects.create(
            fonds=world.village_a1_fonds,
            custodian_unit=world.village_a1_fonds.custodian_unit,
            original_name=f"青石村目录-{status}.xlsx",
            status=status,
        )
    jobs = panel(home(village_archivist), "jobs")
    assert figure(jobs, "imports-waiting")[0] == "1 个"
    assert figure(jobs, "imports-failed")[0] == "1 个"
    assert "青石村目录-checked.xlsx" in jobs
    other = panel(home(other_village_archivist), "jobs")
    assert figure(other, "imports-waiting")[0] == "0 个" and "青石村目录" not in other


def test_roles_without_a_working_panel_get_what_they_can_do(home, network, lookup_operator):
    html = home(lookup_operator)
    assert panels(html) == ["guide"]
    guide = panel(html, "guide")
    assert "在这里可以做什么" in guide and "查档" in guide


def test_inspector_sees_the_guide_and_the_county_by_unit(home, world, network):
    inspector = UserFactory(username="inspector")
    RoleAssignmentFactory(user=inspector, role=Role.INSPECTOR, unit=network.county)
    ItemFactory(fonds=world.village_b1_fonds, year=YEAR)
    html = home(inspector)
    assert panels(html) == ["guide", "completeness", "jobs", "units"]
    assert "检查" in panel(html, "guide")


def test_no_english_left_on_any_dashboard(
    home, world, county_admin, township_officer, village_archivist, lookup_operator
):
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR)
    for user in (county_admin, township_officer, village_archivist, lookup_operator):
        html = home(user)
        body = re.sub(r"<script.*?</script>|<[^>]+>", " ", html.split("<main", 1)[1].split(">", 1)[1], flags=re.S)
        words = set(re.findall(r"[A-Za-z]{4,}", body))
        assert not words, f"{user.username}: {sorted(words)}"


@pytest.mark.parametrize("persona", ["county_admin", "township_officer", "village_archivist", "lookup_operator"])
def test_home_query_count_is_bounded(request, client, django_assert_max_num_queries, world, persona):
    user = request.getfixturevalue(persona)
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR)
    client.login(username=user.username, password=PASSWORD)
    client.get(reverse("home"))  # warms the cached figures
    # Session, user, roles, one reach per (resource, action) asked, the live figures, the panels.
    with django_assert_max_num_queries(22):
        assert client.get(reverse("home")).status_code == 200


def test_panel_contract_declines_without_reach(rf, db, no_role_user):
    from archives_site.dashboard import dashboard_panels

    request = rf.get("/")
    request.user = no_role_user
    assert dashboard_panels(request) == []


def test_a_draft_is_counted_by_its_missing_code(world, village_archivist):
    """Drafts are found through the unique index on 档号 (NULL until filed): a filed item is not."""
    from holdings.dashboard import draft_counts

    services.item_create(
        actor=SYSTEM,
        file=False,
        fonds=world.village_a1_fonds,
        category=category("WS"),
        retention=retention("Y"),
        year=YEAR,
        title="草稿",
    )
    ItemFactory(fonds=world.village_a1_fonds, year=YEAR)
    assert draft_counts(user=village_archivist) == (1, 0)
