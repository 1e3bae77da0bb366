"""A real browser journey in Debian's Chromium (Playwright drives /usr/bin/chromium; nothing is downloaded)."""

import pytest

from tests.conftest import ARTIFACTS
from tests.factories import PASSWORD

# Transactional (the live server reads what the test wrote); restore the seeded reference data after.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_village_archivist_logs_in_sees_chinese_dashboard_switches_to_english_and_logs_out(
    live_server, network, village_archivist, page
):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    page.get_by_label("用户名").fill(village_archivist.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.get_by_test_id("my-roles")).to_contain_text("村档案员 · 青石村")
    filing = page.get_by_test_id("dashboard-panel").filter(has_text="归档工作")
    expect(filing).to_contain_text("草稿待归档")  # the village archivist's own work, not a unit count
    expect(filing.locator("canvas")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "village-archivist-dashboard-zh.png"), full_page=True)

    page.get_by_test_id("switch-language").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("my-roles")).to_contain_text("Village archivist · 青石村")
    page.screenshot(path=str(ARTIFACTS / "village-archivist-dashboard-en.png"), full_page=True)

    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
