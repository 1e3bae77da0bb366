import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from holdings.dates import parse_catalogue_date


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("20150312", ("20150312", False)),
        ("2015-03-12", ("20150312", False)),
        ("2015/3/2", ("20150302", False)),
        ("2015年3月12日", ("20150312", False)),
        ("201503", ("201503", False)),
        ("2015", ("2015", False)),
        ("[19450815]", ("19450815", True)),
        (dt.date(2020, 2, 29), ("20200229", False)),
        ("", ("", False)),
    ],
)
def test_dates_people_type_are_stored_as_yyyymmdd(typed, stored):
    assert parse_catalogue_date(typed) == stored


@pytest.mark.parametrize("typed", ["2015-13-01", "20190229", "15.3.12", "三月", "2015031"])
def test_impossible_dates_are_refused_with_a_message(typed):
    with pytest.raises(ValidationError):
        parse_catalogue_date(typed)
