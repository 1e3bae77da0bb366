"""Shared fixtures: a small county network and the personas of STYLE.md.

The network::

    青溪区 (county)
    ├── 青溪区档案馆 (archive)
    ├── 青石镇 (township A)  ── 青石村 (village A1), 石门村 (village A2)
    ├── 白沙镇 (township B)  ── 白沙村 (village B1)
    └── 区民政局 (department)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from villages.models import Unit, UnitKind
from villages.roles import Role

from .factories import RoleAssignmentFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test gets its own cache namespace (on the shared Redis) so throttles never leak."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"} for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def default_language(settings):
    """Each test starts in the site's language: a request in English (the API fuzzing sends
    Accept-Language: en in-process) leaves its language active on the thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Network:
    county: Unit
    archive: Unit
    township_a: Unit
    village_a1: Unit
    village_a2: Unit
    township_b: Unit
    village_b1: Unit
    department: Unit


@pytest.fixture
def network(db) -> Network:
    county = UnitFactory(code="330199", name="青溪区", kind=UnitKind.COUNTY)
    township_a = UnitFactory(code="330199101", name="青石镇", kind=UnitKind.TOWNSHIP, parent=county)
    township_b = UnitFactory(code="330199102", name="白沙镇", kind=UnitKind.TOWNSHIP, parent=county)
    return Network(
        county=county,
        archive=UnitFactory(code="330199DAG", name="青溪区档案馆", kind=UnitKind.ARCHIVE, parent=county),
        township_a=township_a,
        village_a1=UnitFactory(code="330199101001", name="青石村", parent=township_a),
        village_a2=UnitFactory(code="330199101002", name="石门村", parent=township_a),
        township_b=township_b,
        village_b1=UnitFactory(code="330199102001", name="白沙村", parent=township_b),
        department=UnitFactory(code="330199D01", name="区民政局", kind=UnitKind.DEPARTMENT, parent=county),
    )


def _persona(username: str, role: Role, unit: Unit) -> Any:
    user = UserFactory(username=username)
    RoleAssignmentFactory(user=user, role=role, unit=unit)
    return user


@pytest.fixture
def county_admin(network):
    """Reaches everything; grants every role."""
    return _persona("county_admin", Role.COUNTY_ADMIN, network.county)


@pytest.fixture
def county_archivist(network):
    """Reads every unit and all holdings; writes only what the archive holds."""
    return _persona("county_archivist", Role.ARCHIVIST, network.archive)


@pytest.fixture
def township_officer(network):
    """Township A and its two villages; grants village archivist and lookup operator there."""
    return _persona("township_officer", Role.TOWNSHIP_OFFICER, network.township_a)


@pytest.fixture
def village_archivist(network):
    """Village A1 only (plus the names of township A and the county above it)."""
    return _persona("village_archivist", Role.VILLAGE_ARCHIVIST, network.village_a1)


@pytest.fixture
def other_village_archivist(network):
    """Village B1 only, in the other township."""
    return _persona("other_village_archivist", Role.VILLAGE_ARCHIVIST, network.village_b1)


@pytest.fixture
def lookup_operator(network):
    """A lookup point in village A2: sees unit names, no holdings, no role assignments."""
    return _persona("lookup_operator", Role.LOOKUP_OPERATOR, network.village_a2)


@pytest.fixture
def no_role_user(db):
    """Logged in, but holds no role anywhere: reaches nothing."""
    return UserFactory(username="no_role")


@pytest.fixture
def api():
    """``api(user)`` → an API client authenticated with the user's real token; ``api()`` → anonymous."""

    def make(user: Any = None, language: str = "en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            from archives_site.tokens import api_token_issue

            _token, key = api_token_issue(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def celery_worker(transactional_db, settings, tmp_path):
    """A real Celery worker process (see tests/celery_worker.py) sharing the test's database,
    broker and a fresh MEDIA_ROOT; yields its queue name."""
    from .celery_worker import running_worker

    settings.MEDIA_ROOT = tmp_path / "media"
    with running_worker() as queue:
        yield queue


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # screenshots, rendered pages
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page():
    """A page in Debian's Chromium driven by Playwright (never a downloaded browser). The
    browser speaks English: the UI must still come up in Chinese by default."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()
