from django.core.management import call_command

from holdings.models import Fonds, Item, Volume
from villages.demo import DEMO_LOGINS
from villages.models import RoleAssignment, Unit, UnitKind


def test_seed_demo_builds_the_demo_county_once(db, capsys):
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

    call_command("seed_demo", force=True, quiet_logins=True)
    assert Unit.objects.count() == sum(counts.values())
    assert Item.objects.count() == items
    assert Volume.objects.count() == volumes
