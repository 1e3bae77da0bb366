import re
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

from holdings import completeness
from holdings.models import Fonds, Item, Volume
from villages.demo import DEMO_LOGINS
from villages.models import CatalogueEntry, CatalogueTemplate, RoleAssignment, Unit, UnitKind, VillageCatalogue


def test_seed_demo_builds_the_demo_county_once(db, capsys, api):
    call_command("seed_demo", force=True)
    out = capsys.readouterr().out
    counts = {kind: Unit.objects.filter(kind=kind).count() for kind in UnitKind.values}
    assert counts["archive"] == 1
    assert counts["township"] + counts["street"] == 6
    assert counts["village"] + counts["community"] == 90
    assert counts["department"] == 12
    for login in DEMO_LOGINS:  # every role has a demo login, printed for the newcomer
        assert RoleAssignment.objects.filter(user__username=login.username, role=login.role).exists()
        assert login.username in out
    items = Item.objects.count()
    assert items > 20_000
    assert Fonds.objects.filter(custodian_unit__kind="township", creating_unit__kind="village").exists()
    volumes = Volume.objects.count()
    assert volumes > 0 and "volumes" in out  # older records arranged in volumes, with their items
    first = Volume.objects.order_by("id").first()
    assert list(first.items.order_by("number").values_list("number", flat=True))[:3] == [1, 2, 3]

    for volume in Volume.objects.prefetch_related("items"):  # volumes hold what their titles say
        topic = volume.title.split("年", 1)[1].removesuffix("工作文件材料")
        for item in volume.items.all():
            assert topic in item.title, (volume.title, item.title)
            assert volume.start_date <= item.date <= volume.end_date, (volume.reference_code, item.date)
    fonds = Volume.objects.first().fonds
    assert fonds.start_year <= Volume.objects.filter(fonds=fonds).order_by("year").first().year

    # Every village and community has its filing catalogue from the published default template;
    # version 2 is published too, adopted in 青石镇 except by 青石村 (the `village` login).
    assert VillageCatalogue.objects.count() == 90
    assert sorted(CatalogueTemplate.objects.values_list("version", "status")) == [(1, "published"), (2, "published")]
    on_v2 = set(VillageCatalogue.objects.filter(template__version=2).values_list("unit__name", flat=True))
    assert "石门村" in on_v2 and "青石村" not in on_v2
    assert VillageCatalogue.objects.get(unit__name="石门村").entries.filter(code="G06", retired_at=None).exists()
    local = list(CatalogueEntry.objects.filter(template_entry__isnull=True).values_list("title", flat=True))
    assert "农民画创作与展览" in local and "红色档案征集" in local
    assert "catalogues" in out

    # Filing under the catalogues is uneven: the demo township's heat-map has complete villages
    # and villages far behind.
    township = Unit.objects.get(name="青石镇")
    villages = completeness.villages_under(township)
    figures = completeness.compute(villages, up_to_year=2025)
    shares = sorted(figures.score(v.pk, 2025).percent or 0 for v in villages)
    assert len(villages) == 15 and shares[0] <= 10 and shares[-1] >= 90, shares

    # Rooms are checked unevenly, three keep a year of climate readings; a push reached a village.
    from holdings.models import RecordPush
    from inspections.models import ArchiveRoom, ClimateReading, RoomEvidence

    assert ArchiveRoom.objects.count() == 17 and RoomEvidence.objects.count() == 2
    assert ClimateReading.objects.values("room").distinct().count() == 3
    push = RecordPush.objects.get()
    assert push.target_unit.name in push.title and push.item_count == 33

    _readme_examples_find_something(api)

    call_command("seed_demo", force=True, quiet_logins=True)
    assert Unit.objects.count() == sum(counts.values())
    assert Item.objects.count() == items  # nothing filed twice
    assert Volume.objects.count() == volumes
    assert VillageCatalogue.objects.count() == 90 and CatalogueTemplate.objects.count() == 2
    assert CatalogueEntry.objects.filter(template_entry__isnull=True).count() == len(local)
    assert ArchiveRoom.objects.count() == 17 and RecordPush.objects.count() == 1


README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_examples_find_something(api):
    """The README's search examples find something in the demo."""
    section = README.read_text(encoding="utf-8").split("### Things to try in the demo", 1)[1].split("\n#", 1)[0]
    examples = re.findall(r"^- `([^`]+)`", section, re.M)
    assert len(examples) >= 4
    archivist = api(get_user_model().objects.get(username="archivist"))
    for term in examples:
        found = archivist.get("/api/v1/items/", {"q": term}).json()["count"]
        found += archivist.get("/api/v1/volumes/", {"q": term}).json()["count"]
        assert found > 0, f"the README's example {term!r} finds nothing in the demo"
