"""A village archivist files from a phone (390×844) in Debian's Chromium: 归档清单 → an entry →
the filing form with two photos → the item in the village's fonds with its 档号 and two page
images. axe-core on each page; no sideways scrolling."""

import io

import pytest
from PIL import Image

from archives_site.scoping import SYSTEM
from holdings.models import Item
from tests.browser_support import assert_accessible, assert_no_page_overflow, log_in
from tests.conftest import ARTIFACTS
from tests.factories import FondsFactory
from villages import catalogues

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _photo(colour: str) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (900, 1200), colour).save(out, "JPEG", dpi=(300, 300))
    return {"name": f"{colour}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_a_village_archivist_files_an_item_with_two_photos_from_a_phone(
    live_server, network, village_archivist, page, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    template = catalogues.template_load_default(actor=SYSTEM, county=network.county)
    catalogues.template_publish(actor=SYSTEM, template=template)
    catalogues.catalogue_derive(actor=SYSTEM, unit=network.village_a1)
    FondsFactory(code="C101", name="青石村民委员会", creating_unit=network.village_a1)
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url

    log_in(page, base, village_archivist.username)
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("button", name="切换导航").click()
    nav.get_by_role("button", name="村级归档").click()
    nav.get_by_role("link", name="归档清单").click()
    expect(page.get_by_role("heading", name="青石村归档清单")).to_be_visible()
    assert_no_page_overflow(page, "catalogue (phone)")
    assert_accessible(page, "catalogue (phone)")
    entry = page.get_by_test_id("catalogue-entry").filter(has_text="村民会议、村民代表会议记录与决议")
    expect(entry.get_by_test_id("filed-count")).to_have_text("0 件")
    entry.get_by_test_id("file-here").click()

    expect(page.get_by_role("heading", name="归档文件")).to_be_visible()
    expect(page.get_by_label("全宗")).to_have_count(0)  # one fonds: never asked
    page.get_by_label("题名").fill("青石村2026年第一次村民代表会议记录")
    page.get_by_label("日期", exact=True).fill("2026-03-12")
    page.get_by_label("页面图像").set_input_files([_photo("white"), _photo("gray")])
    expect(page.locator("#pages-chosen")).to_contain_text("2")
    assert_no_page_overflow(page, "filing form (phone)")
    assert_accessible(page, "filing form (phone)")
    page.screenshot(path=str(ARTIFACTS / "phone-filing-form.png"), full_page=True)
    page.get_by_test_id("file-item").click()

    item = Item.objects.get(title="青石村2026年第一次村民代表会议记录")
    expect(page.get_by_test_id("reference-code")).to_have_text(item.reference_code)
    assert item.reference_code.startswith("C101-WS·") and item.fonds.code == "C101"
    images = page.get_by_test_id("page-image")
    expect(images).to_have_count(2)
    for index in range(2):  # the thumbnails load (made by the worker after the commit)
        assert images.nth(index).locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert_no_page_overflow(page, "filed item (phone)")
    assert_accessible(page, "filed item (phone)")
    page.screenshot(path=str(ARTIFACTS / "phone-filed-item.png"), full_page=True)
