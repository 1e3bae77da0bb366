"""Schemathesis over every operation of ``/api/schema/``, as a county archivist and as a village
archivist: no request may answer a server error (5xx), and every documented response must
match its schema.

The API runs in-process (Django's WSGI app, on the test database); the schema is the one the
server serves at ``/api/schema/``, fetched as the signed-in persona. A failure names the
operation and shows the request to reproduce it (``curl``) — fix the view, or the schema where
it lies (drf-spectacular annotations), never this test. New endpoints are fuzzed automatically.

``FUZZ_EXAMPLES`` (environment) sets the examples per operation (default 12).
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from archives_site.scoping import SYSTEM
from tests.factories import FondsFactory, ItemFactory, VolumeFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, response_schema_conformance]
# Explicit examples and random (valid and invalid) data; the boundary-value "coverage" phase
# alone makes hundreds of requests per operation, past the time this run may take.
CONFIG = SchemathesisConfig.from_dict(
    {"generation": {"max-examples": EXAMPLES}, "phases": {"coverage": {"enabled": False}}}
)
# Operations that end the token they are called with: each call gets a token of its own.
TOKEN_ENDING = ("/api/v1/auth/token/revoke/", "/api/v1/auth/token/rotate/")

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["county_archivist", "village_archivist"])
def persona(request: Any, network: Any) -> Any:
    """The signed-in user of the run: a county archivist (reads everything, writes the archive's
    holdings) and a village archivist (village A1 only)."""
    # Something to read and to aim at in each reach: fonds, a volume, items (open and not).
    archive = FondsFactory(code="J001", name="青溪区档案馆", creating_unit=network.archive)
    village = FondsFactory(code="C101", name="青石村民委员会", creating_unit=network.village_a1)
    FondsFactory(code="C201", name="白沙村民委员会", creating_unit=network.village_b1)
    for fonds in (archive, village):
        volume = VolumeFactory(fonds=fonds)
        ItemFactory(fonds=fonds, volume=volume)
        ItemFactory(fonds=fonds)
    # Rooms with readings in both reaches, and an open record pushed to the village.
    import datetime as dt

    from django.utils import timezone

    from holdings.pushes import push_create
    from inspections.climate import reading_add
    from inspections.rooms import room_update

    for unit in (network.village_a1, network.village_b1, network.archive):
        room_update(actor=SYSTEM, unit=unit, data={"location": "二楼"})
        reading_add(
            actor=SYSTEM, unit=unit, taken_at=timezone.now() - dt.timedelta(days=1), temperature=26, humidity=50
        )
    ItemFactory(fonds=archive, open_status="open")
    push_create(actor=SYSTEM, fonds=archive, target=network.village_a1, title="推送")
    # The county's template (a published version and a draft), catalogues in both reaches, and
    # a day of the working-day calendar.
    from archives_site.workdays import calendar_day_set
    from villages import catalogues

    published = catalogues.template_load_default(actor=SYSTEM, county=network.county)
    catalogues.template_publish(actor=SYSTEM, template=published)
    for unit in (network.village_a1, network.village_b1):
        catalogues.catalogue_derive(actor=SYSTEM, unit=unit)
    catalogues.template_new_version(actor=SYSTEM, county=network.county)
    calendar_day_set(actor=SYSTEM, day=dt.date(2026, 10, 1), kind="holiday", name="国庆节")
    return request.getfixturevalue(request.param)


@pytest.fixture
def known_ids(persona: Any) -> dict[str, list[int]]:
    """The ids of every row per resource (in the persona's reach and out of it): a generated
    ``{id}`` is mapped onto one of them, so detail, edit and action operations meet real rows,
    not only 404s."""
    from archives_site.models import CalendarDay
    from holdings.models import Category, Fonds, Item, RecordPush, Volume
    from inspections.models import ArchiveRoom, ClimateReading
    from villages.models import CatalogueTemplate, RoleAssignment, Unit, VillageCatalogue

    models = {
        "categories": Category,
        "fonds": Fonds,
        "items": Item,
        "volumes": Volume,
        "units": Unit,
        "role-assignments": RoleAssignment,
        "archive-rooms": ArchiveRoom,
        "climate-readings": ClimateReading,
        "record-pushes": RecordPush,
        "catalogue-templates": CatalogueTemplate,
        "village-catalogues": VillageCatalogue,
        "calendar-days": CalendarDay,
    }
    return {f"/api/v1/{name}/": sorted(model.objects.values_list("pk", flat=True)) for name, model in models.items()}


def _aim_at_a_real_row(case: Any, known_ids: dict[str, list[int]]) -> None:
    """Replace a generated ``{id}`` (usually 0 or garbage) by a real one, chosen from the
    generated value so that a run is reproducible. Half the cases keep the generated id."""
    ids = known_ids.get(case.path.split("{")[0])
    value = (case.path_parameters or {}).get("id")
    if ids and value is not None:
        pick = zlib.crc32(repr(value).encode())
        if pick % 2:
            case.path_parameters["id"] = ids[pick // 2 % len(ids)]


@pytest.fixture
def auth_headers(persona: Any, api: Any) -> dict[str, str]:
    client = api(persona)  # the suite's own token machinery (tests/conftest.py)
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"], "Accept-Language": "en"}


@pytest.fixture
def wsgi_app(settings: Any) -> Any:
    """Django's WSGI app on the test's own connection: like Django's test client, keep the
    request signals from closing it (the test's transaction lives on it)."""
    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(auth_headers: dict[str, str], wsgi_app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=auth_headers, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible, CI is stable
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_has_no_server_errors_and_keeps_to_its_schema(
    case: Any, auth_headers: dict[str, str], persona: Any, api: Any, known_ids: dict[str, list[int]]
) -> None:
    _aim_at_a_real_row(case, known_ids)
    headers = auth_headers
    if case.path in TOKEN_ENDING:
        headers = {**auth_headers, "Authorization": api(persona)._credentials["HTTP_AUTHORIZATION"]}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
