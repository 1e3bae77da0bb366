import pytest
from django.db import transaction

from archives_site.bulk import indexes_suspended, secondary_indexes


def test_a_bulk_block_rebuilds_every_index_it_dropped(db):
    before = sorted(secondary_indexes("holdings_item"))
    assert any("search_grams" in name for name, _ in before)
    with transaction.atomic(), indexes_suspended("holdings_item"):
        assert secondary_indexes("holdings_item") == []
    assert sorted(secondary_indexes("holdings_item")) == before


def test_a_failed_bulk_block_leaves_the_indexes_as_they_were(db):
    before = sorted(secondary_indexes("holdings_item"))
    with pytest.raises(RuntimeError), transaction.atomic(), indexes_suspended("holdings_item"):
        raise RuntimeError("the load failed half-way")
    assert sorted(secondary_indexes("holdings_item")) == before
