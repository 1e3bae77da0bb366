from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from archives_site.models import AuditEvent
from archives_site.scoping import SYSTEM
from holdings import codes, services
from holdings.models import Item, RecordStatus, ReferenceCodeTemplate
from tests.factories import FondsFactory, ItemFactory, retention


def test_default_code_is_the_dat22_item_form(db, network):
    fonds = FondsFactory(code="Z109", creating_unit=network.village_a1)
    first = ItemFactory(fonds=fonds, year=2011, org_code="BGS")
    second = ItemFactory(fonds=fonds, year=2011, org_code="BGS")
    assert first.reference_code == "Z109-WS·2011-Y-BGS-0001"
    assert second.reference_code == "Z109-WS·2011-Y-BGS-0002"


def test_without_an_organisation_class_the_segment_is_left_out(db, network):
    fonds = FondsFactory(code="A182", creating_unit=network.village_a1)
    assert ItemFactory(fonds=fonds, year=2022, org_code="").reference_code == "A182-WS·2022-Y-0001"


def test_a_fonds_can_choose_the_dat13_single_segment_form(db, network):
    fonds = FondsFactory(code="Z109", creating_unit=network.village_a1)
    ReferenceCodeTemplate.objects.create(name="DA/T 13-2022", fonds=fonds, parts=codes.DAT13_PARTS)
    assert ItemFactory(fonds=fonds, year=2011, org_code="BGS").reference_code == "Z109-WS·2011·Y·BGS-0001"


def test_each_lowest_class_numbers_from_one(db, network):
    fonds = FondsFactory(code="Z109", creating_unit=network.village_a1)
    ItemFactory(fonds=fonds, year=2015)
    ItemFactory(fonds=fonds, year=2015)
    thirty = ItemFactory(fonds=fonds, year=2015, retention=retention("D30"))
    next_year = ItemFactory(fonds=fonds, year=2016)
    assert thirty.reference_code == "Z109-WS·2015-D30-BGS-0001"
    assert next_year.number == 1


def test_a_draft_has_no_number_until_filed(db, network):
    fonds = FondsFactory(code="Z109", creating_unit=network.village_a1)
    draft = ItemFactory(fonds=fonds, file=False)
    assert (draft.number, draft.reference_code, draft.status) == (None, None, RecordStatus.DRAFT)
    ItemFactory(fonds=fonds)
    filed = services.item_file(item=draft, actor=SYSTEM)
    assert filed.number == 2 and filed.reference_code.endswith("-0002")


def test_a_filed_items_class_cannot_change_by_a_plain_edit(db, network):
    item = ItemFactory(fonds=FondsFactory(creating_unit=network.village_a1))
    with pytest.raises(ValidationError) as refused:
        services.record_update(record=item, actor=SYSTEM, year=2016)
    assert "year" in refused.value.message_dict
    services.record_update(record=item, actor=SYSTEM, title="关于修订村规民约的决定")
    item.refresh_from_db()
    assert item.title == "关于修订村规民约的决定"


def test_renumbering_moves_the_item_and_keeps_the_old_number_taken(db, network, county_admin):
    fonds = FondsFactory(code="Z109", creating_unit=network.village_a1)
    item = ItemFactory(fonds=fonds, year=2015)
    ItemFactory(fonds=fonds, year=2015)
    moved = services.item_renumber(item=item, actor=county_admin, reason="年度著录错误", year=2016)
    assert moved.reference_code == "Z109-WS·2016-Y-BGS-0001"
    placeholder = Item.objects.get(reference_code="Z109-WS·2015-Y-BGS-0001")
    assert placeholder.status == RecordStatus.WITHDRAWN
    assert "Z109-WS·2016-Y-BGS-0001" in placeholder.note
    event = AuditEvent.objects.get(action="item.renumber")
    assert event.reason == "年度著录错误"
    assert event.data == {"from": "Z109-WS·2015-Y-BGS-0001", "to": "Z109-WS·2016-Y-BGS-0001"}
    # The old class continues after the withdrawn number: no gap, no reuse.
    assert ItemFactory(fonds=fonds, year=2015).number == 3


def test_renumbering_needs_a_reason(db, network, county_admin):
    item = ItemFactory(fonds=FondsFactory(creating_unit=network.village_a1))
    with pytest.raises(ValidationError) as refused:
        services.item_renumber(item=item, actor=county_admin, reason=" ", year=2016)
    assert "reason" in refused.value.message_dict


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_filers_never_share_a_number_and_leave_no_gap(network):
    fonds = FondsFactory(code="Z109", creating_unit=network.village_a1)
    workers, per_worker = 8, 12

    def file_items(worker: int) -> list[int]:
        try:
            return [ItemFactory(fonds=fonds, title=f"并发归档 {worker}-{i}").number for i in range(per_worker)]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        numbers = [n for batch in pool.map(file_items, range(workers)) for n in batch]
    assert sorted(numbers) == list(range(1, workers * per_worker + 1))
    codes_in_db = list(Item.objects.filter(fonds=fonds).values_list("reference_code", flat=True))
    assert len(set(codes_in_db)) == workers * per_worker
