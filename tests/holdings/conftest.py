from dataclasses import dataclass

import pytest

from holdings.models import Fonds
from tests.factories import FondsFactory


@dataclass
class HoldingsWorld:
    archive_fonds: Fonds  # the archive's own records
    village_a1_fonds: Fonds  # created and kept by village A1
    village_a2_fonds: Fonds  # created by village A2, kept by township A (村档乡管)
    village_b1_fonds: Fonds  # the other township's village


@pytest.fixture
def world(network) -> HoldingsWorld:
    return HoldingsWorld(
        archive_fonds=FondsFactory(code="J001", name="青溪区档案馆", creating_unit=network.archive),
        village_a1_fonds=FondsFactory(code="C101", name="青石村民委员会", creating_unit=network.village_a1),
        village_a2_fonds=FondsFactory(
            code="C102", name="石门村民委员会", creating_unit=network.village_a2, custodian_unit=network.township_a
        ),
        village_b1_fonds=FondsFactory(code="C201", name="白沙村民委员会", creating_unit=network.village_b1),
    )
