"""A village archivist on a phone (390×844) in Debian's Chromium keeps the room's evidence and its
climate log, then tidies the village's catalogue: 档案室 → 防火 recorded as met with two evidence
photos → a logger's CSV with two planted excursions, counted in its month → 归档清单 → 管理 →
an entry marked not applicable with its reason. axe-core on each page; no sideways scrolling."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from archives_site.scoping import SYSTEM
from inspections.models import RoomCheck
from tests.browser_support import assert_accessible, assert_no_page_overflow, log_in
from tests.conftest import ARTIFACTS
from villages import catalogues

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _photo(colour: str) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return {"name": f"{colour}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _logger_csv(month: dt.date) -> dict:
    day = month.replace(day=3)
    rows = [
        "设备名称,温湿度记录仪 01",  # the logger's own lines above the header
        "时间,温度(℃),湿度(%RH)",
        f"{day} 09:00,20.5,52",
        f"{day} 15:00,26.0,55",  # too hot
        f"{day + dt.timedelta(days=1)} 09:00,19.0,66",  # too damp
        f"{day + dt.timedelta(days=1)} 15:00,21.0,50",
    ]
    return {"name": "logger.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode("gbk")}


def _open_filing_menu(page, label: str) -> None:
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("button", name="切换导航").click()
    nav.get_by_role("button", name="村级归档").click()
    nav.get_by_role("link", name=label).click()


def test_a_village_archivist_keeps_room_evidence_climate_and_catalogue_from_a_phone(
    live_server, network, village_archivist, page, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    template = catalogues.template_load_default(actor=SYSTEM, county=network.county)
    catalogues.template_publish(actor=SYSTEM, template=template)
    catalogue = catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_a1)
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    log_in(page, base, village_archivist.username)

    _open_filing_menu(page, "档案室")
    page.get_by_role("link", name="青石村").click()
    expect(page.get_by_role("heading", name="青石村档案室")).to_be_visible()
    page.get_by_test_id("check-fire").click()
    page.get_by_label("状态").select_option(label="达标")
    page.get_by_label("检查日期").fill(timezone.localdate().isoformat())
    page.get_by_label("佐证照片").set_input_files([_photo("red"), _photo("white")])
    assert_no_page_overflow(page, "check form (phone)")
    assert_accessible(page, "check form (phone)")
    page.get_by_test_id("check-save").click()

    expect(page.get_by_role("heading", name="青石村档案室")).to_be_visible()
    photos = page.get_by_test_id("evidence-fire").locator("img")
    expect(photos).to_have_count(2)
    for index in range(2):  # the thumbnails load (made by the worker after the commit)
        assert photos.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    check = RoomCheck.objects.get(room__unit=network.village_a1, item="fire")
    assert check.status == "met" and check.evidence.count() == 2
    assert_no_page_overflow(page, "room (phone)")
    assert_accessible(page, "room (phone)")
    page.screenshot(path=str(ARTIFACTS / "phone-room.png"), full_page=True)

    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    page.get_by_test_id("climate-link").click()
    page.get_by_label("记录仪文件（CSV）").set_input_files(_logger_csv(last_month))
    page.get_by_test_id("climate-import").click()
    row = page.locator(f'tr[data-month="{last_month:%Y-%m}"]')
    expect(row.get_by_test_id("excursions")).to_have_text("2")
    assert_no_page_overflow(page, "climate log (phone)")
    assert_accessible(page, "climate log (phone)")

    _open_filing_menu(page, "归档清单")
    page.get_by_test_id("manage-catalogue").click()
    entry = page.get_by_test_id("catalogue-entry").filter(has_text="B04")
    entry.get_by_test_id("mark-not-applicable").click()
    page.get_by_label("不适用的原因").fill("村务公开与党务公开合并记录")
    page.get_by_test_id("save").click()
    entry = page.get_by_test_id("catalogue-entry").filter(has_text="B04")
    expect(entry.get_by_test_id("not-applicable")).to_be_visible()
    expect(entry).to_contain_text("村务公开与党务公开合并记录")
    assert not catalogue.entries.get(code="B04").applicable
    assert_no_page_overflow(page, "catalogue management (phone)")
    assert_accessible(page, "catalogue management (phone)")
