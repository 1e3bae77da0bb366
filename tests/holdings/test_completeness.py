"""Filing completeness (归档齐全): the figures against a hand-built example (yearly, per-event,
standing and not-applicable entries), constant queries, the township heat-map, the village's
missing list, reminders from the township, the county overview, the API, and reach."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from archives_site.models import AuditEvent
from archives_site.scoping import SYSTEM
from holdings import completeness, services
from holdings.models import Category, FilingReminder, RetentionPeriod
from tests.factories import PASSWORD, FondsFactory, ItemFactory, UnitFactory
from villages import catalogues
from villages.models import CatalogueTemplate, UnitKind

YEAR = 2024


@pytest.fixture
def example(network):
    """A template of five entries under one heading, derived by 青石村 (A1), 石门村 (A2) and
    白沙村 (B1):

    X01 yearly, required · X02 per event, required · X03 standing, required ·
    X04 yearly, required, marked not applicable in A1 · X05 yearly, not required.
    """
    template = CatalogueTemplate.objects.create(unit=network.county, version=1, title="测试模板")
    heading = catalogues.template_entry_save(actor=SYSTEM, template=template, code="X", title="村务")
    for code, frequency, required in (
        ("X01", "yearly", True),
        ("X02", "per_event", True),
        ("X03", "standing", True),
        ("X04", "yearly", True),
        ("X05", "yearly", False),
    ):
        catalogues.template_entry_save(
            actor=SYSTEM,
            template=template,
            parent=heading,
            code=code,
            title=f"条目{code}",
            category_code="WS",
            retention_code="Y",
            frequency=frequency,
            required=required,
        )
    catalogues.template_publish(actor=SYSTEM, template=template)
    mine = catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_a1)
    catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_a2)
    theirs = catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_b1)
    catalogues.catalogue_entry_set_applicable(
        actor=SYSTEM, entry=mine.entries.get(code="X04"), applicable=False, reason="本村无此事项"
    )
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    their_fonds = FondsFactory(code="C201", creating_unit=network.village_b1)

    def file(code: str, year: int, *, catalogue=mine, in_fonds=fonds, draft: bool = False):
        return ItemFactory(
            fonds=in_fonds,
            year=year,
            catalogue_entry=catalogue.entries.get(code=code),
            category=Category.objects.get(code="WS"),
            retention=RetentionPeriod.objects.get(code="Y"),
            file=not draft,
        )

    file("X01", 2024)
    file("X01", 2024)  # two items: still one entry filed
    file("X02", 2025)
    file("X03", 2022)  # standing: filed from 2022 on
    file("X05", 2023)  # not required: never counted
    file("X01", 2023, draft=True)  # a draft is not filed
    withdrawn = file("X01", 2021)
    services.item_renumber(item=withdrawn, actor=SYSTEM, reason="年度有误", year=2020)  # leaves a placeholder
    file("X01", 2023, catalogue=theirs, in_fonds=their_fonds)  # another village
    return {"mine": mine, "fonds": fonds}


def _score(network, year):
    return completeness.compute([network.village_a1], up_to_year=year).score(network.village_a1.pk, year)


@pytest.mark.parametrize(
    ("year", "owed", "filed", "missing", "percent"),
    [
        (2020, 2, 1, ["X03"], 50),  # the renumbered X01 counts in 2020; X03 not yet filed
        (2021, 2, 0, ["X01", "X03"], 0),  # the number withdrawn from 2021 does not count
        (2022, 2, 1, ["X01"], 50),
        (2023, 2, 1, ["X01"], 50),  # the draft does not count; X05 is not required
        (2024, 2, 2, [], 100),  # X02 had no event: not owed; X04 not applicable
        (2025, 3, 2, ["X01"], 66),  # X02's event filed: owed and filed; 66.7 % rounds down
    ],
)
def test_figures_of_a_hand_built_example(example, network, year, owed, filed, missing, percent):
    score = _score(network, year)
    assert (score.owed, score.filed, [e.code for e in score.missing], score.percent) == (
        owed,
        filed,
        missing,
        percent,
    )


def test_states_of_each_kind_of_entry(example, network):
    figures = completeness.compute([network.village_a1], up_to_year=2025)
    entries = {e.code: e for e in figures.entries[network.village_a1.pk]}
    assert set(entries) == {"X01", "X02", "X03", "X04"}  # required only
    assert [figures.state(entries["X02"], y) for y in (2024, 2025)] == ["not_owed", "filed"]
    assert [figures.state(entries["X03"], y) for y in (2021, 2022, 2025)] == ["missing", "filed", "filed"]
    assert figures.state(entries["X04"], 2024) == "not_applicable"


def test_the_figures_take_the_same_queries_for_two_villages_or_ten(example, network, django_assert_num_queries):
    for n in range(8):
        village = UnitFactory(
            code=f"3301991019{n:02d}", name=f"新村{n}", kind=UnitKind.VILLAGE, parent=network.township_a
        )
        catalogues.catalogue_derive(actor=SYSTEM, unit=village)
    with django_assert_num_queries(2):
        few = completeness.compute([network.village_a1, network.village_a2], up_to_year=YEAR)
    many_villages = completeness.villages_under(network.township_a)
    assert len(many_villages) == 10
    with django_assert_num_queries(2):
        many = completeness.compute(many_villages, up_to_year=YEAR)
    assert few.score(network.village_a1.pk, YEAR).percent == many.score(network.village_a1.pk, YEAR).percent == 100


def _client(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _page(client, unit=None, year=YEAR):
    params = {"year": year} | ({"unit": unit.pk} if unit is not None else {})
    return client.get(reverse("holdings:completeness"), params)


def test_the_township_sees_its_villages_entries_and_what_each_owes(client, example, network, township_officer):
    c = _client(client, township_officer)
    response = _page(c)  # a township officer starts at the township
    html = response.content.decode()
    assert response.status_code == 200 and "青石镇归档齐全情况" in html
    rows = re.findall(r'data-testid="village-row" data-unit="(\d+)"', html)
    assert rows == [network.village_a1.code, network.village_a2.code]  # not 白沙村 of the other township
    a1_row = html.split(f'data-unit="{network.village_a1.code}"')[1].split("</tr>")[0]
    assert re.findall(r'data-state="(\w+)"', a1_row) == ["filed", "not_owed", "filed", "not_applicable"]
    assert 'data-testid="village-percent">100%' in a1_row
    legend = html.split('data-testid="column-legend"')[1].split("</details>")[0]  # codes in words, for phones
    assert "X01</dt>" in legend and "条目X01" in legend
    owed = html.split('data-testid="owed-list"')[1]
    assert f'data-unit="{network.village_a2.code}"' in owed and "X01" in owed  # 石门村 filed nothing
    assert f'data-unit="{network.village_a1.code}"' not in owed  # 青石村 owes nothing for 2024
    # The chart over years, with its data table.
    assert 'class="dashboard-chart"' in html and "各年度必归条目齐全率" in html


def test_a_reminder_reaches_the_village_once_and_is_acknowledged(
    client, example, network, township_officer, village_archivist
):
    c = _client(client, township_officer)
    url = reverse("holdings:completeness-remind", args=[network.village_a2.pk])
    assert c.post(url, {"year": YEAR}).status_code == 302
    assert c.post(url, {"year": YEAR}).status_code == 302  # a double click: still one reminder
    reminder = FilingReminder.objects.get()
    assert (reminder.unit, reminder.year, reminder.missing) == (network.village_a2, YEAR, ["X01", "X03", "X04"])
    assert AuditEvent.objects.filter(action="reminder.send").count() == 1
    with pytest.raises(PermissionDenied):  # a village does not remind itself or others
        completeness.reminder_send(actor=village_archivist, village=network.village_a2, year=YEAR)
    assert (
        c.post(reverse("holdings:completeness-remind", args=[network.village_b1.pk]), {"year": YEAR}).status_code == 404
    )

    a2_archivist = _persona_on(network.village_a2)
    v = _client(client, a2_archivist)
    home = v.get(reverse("home")).content.decode()
    rows = home.split('data-panel="completeness"')[1].split("</section>")[0]
    assert f"{township_officer.get_full_name()} 的提醒：2024 年度归档" in rows
    page = _page(v).content.decode()
    assert page.count('data-testid="reminder"') == 1 and "X01" in page
    assert v.post(reverse("holdings:reminder-acknowledge", args=[reminder.pk])).status_code == 302
    assert 'data-testid="reminder"' not in _page(v).content.decode()
    assert "的提醒" not in v.get(reverse("home")).content.decode()
    reminder.refresh_from_db()
    assert reminder.acknowledged_by == a2_archivist
    # Only the village acknowledges: the township cannot clear it before the village saw it.
    c = _client(client, township_officer)
    second = completeness.reminder_send(actor=township_officer, village=network.village_a2, year=2023)
    assert c.post(reverse("holdings:reminder-acknowledge", args=[second.pk])).status_code == 403
    assert "的提醒" not in c.get(reverse("home")).content.decode()  # the sender's home lists none
    with pytest.raises(ValidationError):  # 青石村 misses nothing for 2024: no reminder
        completeness.reminder_send(actor=township_officer, village=network.village_a1, year=YEAR)
    # Another village's archivist cannot see or acknowledge it.
    other = _client(client, village_archivist)
    assert other.post(reverse("holdings:reminder-acknowledge", args=[reminder.pk])).status_code == 404


def _persona_on(unit):
    from tests.conftest import _persona
    from villages.roles import Role

    return _persona("a2_archivist", Role.VILLAGE_ARCHIVIST, unit)


def test_the_village_sees_its_missing_entries_and_files_from_there(client, example, network, village_archivist):
    c = _client(client, village_archivist)
    html = _page(c, year=2025).content.decode()
    assert "青石村归档齐全情况" in html
    missing = html.split('data-testid="missing-list"')[1].split("</ul>")[0]
    x01 = example["mine"].entries.get(code="X01")
    assert "X01" in missing and reverse("holdings:file-under-entry", args=[x01.pk]) in missing
    assert 'data-testid="total-percent">66%' in html
    # Home: the panel shows this year's share and what is missing.
    home = c.get(reverse("home")).content.decode()
    assert 'data-panel="completeness"' in home and 'data-testid="figure-completeness-missing"' in home


def test_the_county_compares_its_townships(client, example, network, county_admin):
    c = _client(client, county_admin)
    html = _page(c).content.decode()
    assert "青溪区归档齐全情况" in html
    rows = html.split('data-testid="township-table"')[1]
    assert rows.count('data-testid="township-row"') == 2 and "青石镇" in rows and "白沙镇" in rows


@pytest.mark.parametrize("who", ["village_archivist", "other_village_archivist", "township_officer"])
def test_units_out_of_reach_are_404(client, example, network, request, who):
    user = request.getfixturevalue(who)
    c = _client(client, user)
    outside = {
        "village_archivist": network.village_a2,
        "other_village_archivist": network.village_a1,
        "township_officer": network.township_b,
    }[who]
    assert _page(c, outside).status_code == 404
    assert c.get(reverse("holdings:completeness"), {"unit": "99999999999999999999"}).status_code == 404
    assert c.get(reverse("holdings:completeness"), {"unit": "x\x00"}).status_code == 400  # NUL: refused site-wide


def test_who_may_not_read_completeness(client, example, lookup_operator):
    assert _client(client, lookup_operator).get(reverse("holdings:completeness")).status_code == 403


def test_the_api_gives_the_same_figures_within_reach(api, example, network, township_officer, village_archivist):
    response = api(township_officer).get("/api/v1/completeness/", {"unit": network.township_a.pk, "year": 2025})
    assert response.status_code == 200, response.content
    body = response.json()
    villages = {row["unit_code"]: row for row in body["villages"]}
    assert set(villages) == {network.village_a1.code, network.village_a2.code}
    mine = villages[network.village_a1.code]
    assert (mine["owed"], mine["filed"], mine["percent"]) == (3, 2, 66)
    assert [m["code"] for m in mine["missing"]] == ["X01"]
    assert (
        api(village_archivist).get("/api/v1/completeness/", {"unit": network.village_a2.pk, "year": 2025}).status_code
        == 404
    )
    assert (
        api(village_archivist).get("/api/v1/completeness/", {"unit": network.village_a1.pk, "year": "abc"}).status_code
        == 400
    )
    assert api(village_archivist).get("/api/v1/completeness/", {"unit": 2**70, "year": 2025}).status_code == 400
    assert (
        api(village_archivist).get("/api/v1/completeness/", {"unit": network.village_a1.pk, "year": 2100}).status_code
        == 400
    )
    assert api().get("/api/v1/completeness/", {"unit": network.village_a1.pk, "year": 2025}).status_code == 401


def test_the_service_itself_refuses_a_sender_acknowledging(example, network, township_officer, county_admin):
    reminder = completeness.reminder_send(actor=township_officer, village=network.village_a2, year=YEAR)
    for sender in (township_officer, county_admin, None):
        with pytest.raises(PermissionDenied):
            completeness.reminder_acknowledge(actor=sender, reminder=reminder)
    reminder.refresh_from_db()
    assert reminder.acknowledged_at is None
