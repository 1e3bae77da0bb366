"""An archivist's journey in Chromium: search in Chinese, open an item, print the catalogue."""

import pytest

from tests.conftest import ARTIFACTS
from tests.factories import PASSWORD, ItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_archivist_searches_opens_an_item_and_prints_the_catalogue(live_server, world, county_archivist, page):
    from playwright.sync_api import expect

    ItemFactory(
        fonds=world.archive_fonds, title="关于青石村土地承包经营权确权登记工作的通知", doc_number="青石镇政〔2015〕12号"
    )
    ItemFactory(fonds=world.archive_fonds, title="关于召开村民代表会议的通知")
    ItemFactory(fonds=world.village_b1_fonds, title="白沙村土地承包合同")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(county_archivist.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("link", name="文件").first.click()
    page.get_by_role("searchbox").fill("土地承包")
    page.get_by_role("button", name="检索").click()
    table = page.get_by_test_id("item-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("mark").first).to_have_text("土地承包")
    expect(page.get_by_test_id("result-count")).to_contain_text("2")
    page.screenshot(path=str(ARTIFACTS / "archivist-search.png"), full_page=True)

    page.get_by_role("link", name="J001-WS·2015-Y-BGS-0001").click()
    expect(page.get_by_test_id("reference-code")).to_have_text("J001-WS·2015-Y-BGS-0001")

    page.goto(f"{live_server.url}/holdings/fonds/{world.archive_fonds.pk}/")
    page.get_by_role("link", name="打印目录（PDF）").click()
    page.get_by_role("button", name="开始导出").click()  # the export runs as a job (eager in tests)
    expect(page.get_by_test_id("export-status")).to_have_attribute("data-status", "done")
    with page.expect_response(lambda r: "/download/" in r.url) as info:
        page.get_by_test_id("export-download").click()
    response = info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
