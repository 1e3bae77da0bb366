"""The county's reference template → each village's filing catalogue (归档清单): the default
template, publishing (frozen), deriving, a new version's differences and their adoption entry
by entry, not-applicable marks, local (一村一品) entries, and who may do what."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archives_site.models import AuditEvent
from archives_site.scoping import SYSTEM
from tests.factories import UnitFactory
from villages import catalogues
from villages.models import CatalogueEntry, TemplateStatus, UnitKind


@pytest.fixture
def published(network, county_admin):
    template = catalogues.template_load_default(actor=county_admin, county=network.county)
    return catalogues.template_publish(actor=county_admin, template=template)


def _live(catalogue) -> dict[str, CatalogueEntry]:
    return {entry.code: entry for entry in catalogue.entries.filter(retired_at__isnull=True)}


def test_the_default_template_is_a_draft_of_the_rural_categories(network, county_admin):
    template = catalogues.template_load_default(actor=county_admin, county=network.county)
    assert template.status == TemplateStatus.DRAFT and template.version == 1
    headings = [entry.title for entry in template.entries.filter(parent__isnull=True).order_by("position")]
    assert headings[:4] == ["党群组织建设", "村民自治与村务管理", "经济管理与“三资”", "土地承包"]
    assert "会计" in headings and "声像" in headings and "实物" in headings
    b03 = template.entries.get(code="B03")
    assert (b03.title, b03.category_code, b03.retention_code, b03.frequency, b03.required) == (
        "村规民约、村（居）民自治章程",
        "WS",
        "Y",
        "standing",
        True,
    )
    assert "默认模板" in template.note  # marked as a default to adapt
    with pytest.raises(ValidationError):  # once only
        catalogues.template_load_default(actor=county_admin, county=network.county)


def test_a_published_version_is_frozen_and_publishing_twice_is_harmless(published, county_admin):
    again = catalogues.template_publish(actor=county_admin, template=published)
    assert again.published_at == published.published_at
    with pytest.raises(ValidationError, match="冻结"):
        catalogues.template_entry_save(
            actor=county_admin, template=published, entry=published.entries.get(code="A01"), title="改"
        )


def test_a_village_and_a_community_derive_what_applies_to_them(published, network, county_admin):
    village = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    assert catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1) == village  # once
    assert {"D01", "E01", "C01"} <= set(_live(village))
    assert _live(village)["A01"].parent == _live(village)["A"]  # under its heading
    community = UnitFactory(code="330199101901", name="青石社区", kind=UnitKind.COMMUNITY, parent=network.township_a)
    theirs = _live(catalogues.catalogue_derive(actor=county_admin, unit=community))
    assert "D01" not in theirs and "E01" not in theirs and "C01" not in theirs  # land and 三资: villages only
    assert "B03" in theirs and "H01" in theirs
    with pytest.raises(ValidationError):  # a township keeps no village catalogue
        catalogues.catalogue_derive(actor=county_admin, unit=network.township_a)


def test_a_new_version_shows_added_changed_and_removed_and_is_adopted_entry_by_entry(
    published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    b04 = _live(catalogue)["B04"]
    catalogues.catalogue_entry_set_applicable(actor=village_archivist, entry=b04, applicable=False, reason="合并公开")

    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    assert draft.version == 2 and catalogues.template_new_version(actor=county_admin, county=network.county) == draft
    catalogues.template_entry_save(
        actor=county_admin,
        template=draft,
        entry=draft.entries.get(code="B04"),
        retention_code="Y",
        title="村务公开材料",
    )
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
    catalogues.template_entry_delete(actor=county_admin, entry=draft.entries.get(code="K02"))
    assert catalogues.catalogue_differences(catalogue) == []  # a draft is nobody's business yet
    catalogues.template_publish(actor=county_admin, template=draft)

    differences = {d.code: d for d in catalogues.catalogue_differences(catalogue)}
    assert {code: d.kind for code, d in differences.items()} == {"B04": "changed", "G06": "added", "K02": "removed"}
    assert differences["B04"].fields == {
        "title": ["村务、财务公开材料", "村务公开材料"],
        "retention_code": ["D30", "Y"],
    }

    adopted = catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[differences["B04"].key])
    assert [d.code for d in adopted] == ["B04"]
    entries = _live(catalogue)
    assert entries["B04"].retention_code == "Y" and entries["B04"].title == "村务公开材料"
    assert entries["B04"].applicable is False and entries["B04"].not_applicable_reason == "合并公开"  # kept
    catalogue.refresh_from_db()
    assert catalogue.template == published  # two differences still open
    # A second click on the same difference changes nothing.
    assert catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[differences["B04"].key]) == []

    rest = [differences["G06"].key, differences["K02"].key]
    catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=rest)
    catalogue.refresh_from_db()
    assert catalogue.template == draft and catalogues.catalogue_differences(catalogue) == []
    assert _live(catalogue)["G06"].parent.code == "G"
    k02 = catalogue.entries.get(code="K02")  # retired, never deleted (items filed under it keep their link)
    assert k02.retired_at is not None and "K02" not in _live(catalogue)
    adoption = AuditEvent.objects.filter(action="catalogue.adopt").latest("seq")
    assert adoption.data == {"version": 2, "added": ["G06"], "removed": ["K02"]}
    assert adoption.unit_id == network.village_a1.pk


def test_local_entries_are_the_villages_own(published, network, county_admin, village_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    heading = _live(catalogue)["K"]
    entry = catalogues.catalogue_entry_save_local(
        actor=village_archivist,
        catalogue=catalogue,
        parent=heading,
        code="K91",
        title="农民画创作与展览",
        category_code="ZP",
        retention_code="Y",
        frequency="per_event",
    )
    assert entry.is_local and entry.key.startswith("local-")
    with pytest.raises(ValidationError) as duplicate:  # a clear error, not a database one
        catalogues.catalogue_entry_save_local(
            actor=village_archivist,
            catalogue=catalogue,
            code="K91",
            title="船鼓",
            category_code="WS",
            retention_code="Y",
        )
    assert "code" in duplicate.value.message_dict
    with pytest.raises(ValidationError) as bad:
        catalogues.catalogue_entry_save_local(
            actor=village_archivist,
            catalogue=catalogue,
            code="K92",
            title="船鼓",
            category_code="XX",
            retention_code="Q",
        )
    assert {"category_code", "retention_code"} <= set(bad.value.message_dict)
    with pytest.raises(ValidationError):  # the template's entries are not the village's to rewrite
        catalogues.catalogue_entry_save_local(
            actor=village_archivist, catalogue=catalogue, entry=_live(catalogue)["A01"], title="改"
        )
    # A new version never touches a local entry.
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    _communities_only_entry(county_admin, draft)
    catalogues.template_publish(actor=county_admin, template=draft)
    assert catalogues.catalogue_differences(catalogue) == []


def _communities_only_entry(actor, draft):
    """A change of a new version that no village sees (it applies to communities only)."""
    return catalogues.template_entry_save(
        actor=actor,
        template=draft,
        parent=draft.entries.get(code="G"),
        code="G09",
        title="社区网格化服务记录",
        category_code="WS",
        retention_code="D10",
        for_villages=False,
    )


def test_not_applicable_needs_a_reason(published, network, county_admin, village_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    with pytest.raises(ValidationError):
        catalogues.catalogue_entry_set_applicable(
            actor=village_archivist, entry=_live(catalogue)["E01"], applicable=False, reason="  "
        )


def test_who_may_do_what(
    published, network, county_admin, township_officer, village_archivist, other_village_archivist
):
    with pytest.raises(PermissionDenied):  # the template is the county's
        catalogues.template_new_version(actor=village_archivist, county=network.county)
    with pytest.raises(PermissionDenied):
        catalogues.template_new_version(actor=township_officer, county=network.county)
    with pytest.raises(PermissionDenied):  # no actor is never "anyone"
        catalogues.template_new_version(actor=None, county=network.county)
    with pytest.raises(PermissionDenied):  # a village archivist does not derive, the township does
        catalogues.catalogue_derive(actor=village_archivist, unit=network.village_a1)
    with pytest.raises(PermissionDenied):  # another township's village
        catalogues.catalogue_derive(actor=township_officer, unit=network.village_b1)
    mine = catalogues.catalogue_derive(actor=township_officer, unit=network.village_a1)
    theirs = catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_b1)
    with pytest.raises(PermissionDenied):
        catalogues.catalogue_entry_set_applicable(
            actor=other_village_archivist, entry=_live(mine)["E01"], applicable=False, reason="无"
        )
    with pytest.raises(PermissionDenied):
        catalogues.catalogue_adopt(actor=village_archivist, catalogue=theirs, keys=[])
    with pytest.raises(PermissionDenied):
        catalogues.catalogue_entry_save_local(
            actor=village_archivist, catalogue=theirs, code="X1", title="x", category_code="WS", retention_code="Y"
        )


def test_adoption_frees_codes_first_brings_headings_and_keeps_the_villages_own(
    published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    own = catalogues.catalogue_entry_save_local(
        actor=village_archivist,
        catalogue=catalogue,
        parent=_live(catalogue)["K"],
        code="K91",
        title="农民画创作与展览",
        category_code="ZP",
        retention_code="Y",
    )
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    # K is dropped as a heading; its K01 moves under J; a new heading L comes with L01; and
    # B04 hands its code over to a new entry while itself becoming B09.
    catalogues.template_entry_save(actor=county_admin, template=draft, entry=draft.entries.get(code="K01"), code="J09")
    k01 = draft.entries.get(code="J09")
    k01.parent = draft.entries.get(code="J")
    k01.save()
    for child in draft.entries.filter(parent__code="K"):
        catalogues.template_entry_delete(actor=county_admin, entry=child)
    catalogues.template_entry_delete(actor=county_admin, entry=draft.entries.get(code="K"))
    heading = catalogues.template_entry_save(actor=county_admin, template=draft, code="L", title="乡村振兴")
    catalogues.template_entry_save(
        actor=county_admin,
        template=draft,
        parent=heading,
        code="L01",
        title="乡村振兴项目材料",
        category_code="WS",
        retention_code="D30",
    )
    catalogues.template_entry_save(actor=county_admin, template=draft, entry=draft.entries.get(code="B04"), code="B09")
    catalogues.template_entry_save(
        actor=county_admin,
        template=draft,
        parent=draft.entries.get(code="B"),
        code="B04",
        title="村务监督委员会材料",
        category_code="WS",
        retention_code="D30",
    )
    catalogues.template_publish(actor=county_admin, template=draft)
    differences = {(d.code, d.kind): d for d in catalogues.catalogue_differences(catalogue)}
    assert differences[("J09", "changed")].fields == {"code": ["K01", "J09"], "heading": ["K", "J"]}

    # Only L01 is chosen: its heading L comes with it, not left out or made an entry at the top.
    catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[differences[("L01", "added")].key])
    assert _live(catalogue)["L01"].parent == _live(catalogue)["L"]
    # The new B04 needs the code the old one gives up: chosen together, in any order, both land.
    catalogues.catalogue_adopt(
        actor=village_archivist,
        catalogue=catalogue,
        keys=[differences[("B04", "added")].key, differences[("B09", "changed")].key],
    )
    assert _live(catalogue)["B04"].title == "村务监督委员会材料" and _live(catalogue)["B09"].template_entry_id
    # Retiring K keeps the village's own K91, now at the top level; the move of K01 lands under J.
    rest = [d.key for d in catalogues.catalogue_differences(catalogue)]
    catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=rest)
    live = _live(catalogue)
    assert "K" not in live and live["K91"].pk == own.pk and live["K91"].parent is None
    assert live["J09"].parent == live["J"]
    assert AuditEvent.objects.filter(action="catalogue.adopt").latest("seq").data["kept"] == ["K91"]
    catalogue.refresh_from_db()
    assert catalogue.template == draft


def test_adoption_clashing_with_an_own_code_is_refused_whole(published, network, county_admin, village_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    catalogues.catalogue_entry_save_local(
        actor=village_archivist, catalogue=catalogue, code="G06", title="船鼓", category_code="WS", retention_code="Y"
    )
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    catalogues.template_entry_save(
        actor=county_admin,
        template=draft,
        parent=draft.entries.get(code="G"),
        code="G06",
        title="殡葬改革材料",
        category_code="WS",
        retention_code="D30",
    )
    catalogues.template_publish(actor=county_admin, template=draft)
    (added,) = catalogues.catalogue_differences(catalogue)
    with pytest.raises(ValidationError, match="G06"):
        catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[added.key])
    assert _live(catalogue)["G06"].title == "船鼓"


def test_only_a_newer_published_version_of_the_county_is_adopted_and_an_empty_one_moves_on(
    published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    with pytest.raises(ValidationError):  # a draft is nobody's to adopt
        catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[], template=draft)
    with pytest.raises(ValidationError, match="没有变化"):  # a version that changes nothing is no version
        catalogues.template_publish(actor=county_admin, template=draft)
    _communities_only_entry(county_admin, draft)
    catalogues.template_publish(actor=county_admin, template=draft)  # nothing changed for a village
    assert catalogues.catalogue_differences(catalogue) == []
    catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[])
    catalogue.refresh_from_db()
    assert catalogue.template == draft
    with pytest.raises(ValidationError):  # never back to an older one
        catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=[], template=published)


def _draft_with(actor, county, change):
    draft = catalogues.template_new_version(actor=actor, county=county)
    change(draft)
    return catalogues.template_publish(actor=actor, template=draft)


def test_an_entry_moved_under_a_new_heading_lands_under_it_in_one_adoption(
    published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)

    def change(draft):
        heading = catalogues.template_entry_save(actor=county_admin, template=draft, code="Z", title="党建品牌")
        catalogues.template_entry_save(
            actor=county_admin, template=draft, entry=draft.entries.get(code="A03"), parent=heading
        )

    _draft_with(county_admin, network.county, change)
    adopted = catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=["A03"])
    assert sorted((d.kind, d.code) for d in adopted) == [("added", "Z"), ("changed", "A03")]
    live = _live(catalogue)
    assert live["A03"].parent_id == live["Z"].pk
    assert catalogues.catalogue_differences(catalogue) == []
    order = list(
        catalogue.entries.filter(retired_at=None).order_by(*catalogues.TREE_ORDER).values_list("code", flat=True)
    )
    assert order[-2:] == ["Z", "A03"]


def test_the_tree_order_never_interleaves_two_headings_at_the_same_position(
    published, network, county_admin, village_archivist
):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    local = catalogues.catalogue_entry_save_local(
        actor=village_archivist,
        catalogue=catalogue,
        parent=None,
        code="L1",
        title="村史",
        category_code="WS",
        retention_code="Y",
    )
    heading = _live(catalogue)["K"]
    clash = catalogue.entries.get(code="A")
    CatalogueEntry.objects.filter(pk=local.pk).update(position=clash.position)  # a tie with heading A
    order = list(
        catalogue.entries.filter(retired_at=None).order_by(*catalogues.TREE_ORDER).values_list("code", "parent_id")
    )
    a_group = [code for code, parent in order if code == "A" or parent == clash.pk]
    positions = [order.index((code, parent)) for code, parent in order if code == "A" or parent == clash.pk]
    assert positions == list(range(positions[0], positions[0] + len(a_group)))  # A's entries follow A unbroken
    assert heading.pk  # the catalogue still has its other headings


def test_new_entries_name_a_category_and_a_heading_at_the_top(published, network, county_admin, village_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    with pytest.raises(ValidationError) as missing:  # without a category it would pass for a heading
        catalogues.catalogue_entry_save_local(actor=village_archivist, catalogue=catalogue, code="L1", title="无门类")
    assert {"category_code", "retention_code"} <= set(missing.value.message_dict)
    draft = catalogues.template_new_version(actor=county_admin, county=network.county)
    with pytest.raises(ValidationError):
        catalogues.template_entry_save(
            actor=county_admin, template=draft, parent=draft.entries.get(code="A"), code="A99", title="无门类"
        )
    with pytest.raises(ValidationError):  # an entry is no heading to file under
        catalogues.catalogue_entry_save_local(
            actor=village_archivist,
            catalogue=catalogue,
            parent=_live(catalogue)["A01"],
            code="L2",
            title="t",
            category_code="WS",
            retention_code="Y",
        )
    with pytest.raises(ValidationError):  # a heading has nothing to apply
        catalogues.catalogue_entry_set_applicable(
            actor=village_archivist, entry=_live(catalogue)["A"], applicable=False, reason="x"
        )


def test_a_local_entry_moves_under_another_heading(published, network, county_admin, village_archivist):
    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)
    live = _live(catalogue)
    entry = catalogues.catalogue_entry_save_local(
        actor=village_archivist,
        catalogue=catalogue,
        parent=live["K"],
        code="K91",
        title="船鼓",
        category_code="WS",
        retention_code="Y",
    )
    catalogues.catalogue_entry_save_local(actor=village_archivist, catalogue=catalogue, entry=entry, title="船鼓队")
    entry.refresh_from_db()
    assert (entry.title, entry.parent_id) == ("船鼓队", live["K"].pk)  # no heading named: it stays
    catalogues.catalogue_entry_save_local(actor=village_archivist, catalogue=catalogue, entry=entry, parent=live["B"])
    entry.refresh_from_db()
    assert entry.parent_id == live["B"].pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_adoptions_at_once_adopt_once_and_neither_fails(published, network, county_admin, village_archivist):
    import threading

    from django.db import connection

    catalogue = catalogues.catalogue_derive(actor=county_admin, unit=network.village_a1)

    def change(draft):
        catalogues.template_entry_save(
            actor=county_admin,
            template=draft,
            parent=draft.entries.get(code="G"),
            code="G06",
            title="殡葬改革材料",
            category_code="WS",
            retention_code="D30",
        )

    _draft_with(county_admin, network.county, change)
    keys = [d.key for d in catalogues.catalogue_differences(catalogue)]
    results, errors = [], []
    barrier = threading.Barrier(3)

    def adopt():
        try:
            barrier.wait()
            results.append(len(catalogues.catalogue_adopt(actor=village_archivist, catalogue=catalogue, keys=keys)))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=adopt) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(results) == [0, 0, 1]
    assert catalogue.entries.filter(code="G06", retired_at=None).count() == 1
    assert AuditEvent.objects.filter(action="catalogue.adopt").count() == 1
