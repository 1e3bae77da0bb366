"""Staff journeys in Debian's Chromium, in the Chinese UI: the county administrator makes an account
for a village archivist, who files a record that the administrator then finds in the audit log; a
village archivist on a phone; large-text mode on a laptop. Every page visited is checked with
axe-core (tests/browser_support.py) and, on the small screen and in large text, for sideways
scrolling. Screenshots go to test-artifacts/."""

import re

import pytest

from tests.browser_support import assert_accessible, assert_no_page_overflow, log_in, wrapped_buttons
from tests.conftest import ARTIFACTS
from tests.factories import FondsFactory, ItemFactory

# Transactional (the live server reads what the test wrote); restore the seeded reference data after.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "青石村-档案-2026-春"
# The <mark> of a search hit starts where the text before it ends, on the same line.
MARK_FLOWS_WITH_TEXT = """cell => {
    const mark = cell.querySelector("mark"), range = document.createRange();
    range.selectNode(mark.previousSibling);
    const before = [...range.getClientRects()].pop(), start = mark.getClientRects()[0];
    return Math.abs(start.left - before.right) < 2 && Math.abs(start.top - before.top) < 4;
}"""


def field(page, label):
    """A form field by its label, which may end in the required star."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?$"))


@pytest.fixture
def village_fonds(network):
    """Village A1's own fonds (the records it creates and keeps)."""
    return FondsFactory(code="C101", name="青石村民委员会", creating_unit=network.village_a1)


def test_administrator_creates_a_village_archivist_who_files_an_item_and_the_audit_log_names_it(
    live_server, network, county_admin, village_fonds, page
):
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    assert_accessible(page, "login")
    log_in(page, base, county_admin.username)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    brand = page.locator(".navbar-brand")  # the bar is expanded at 1280 px: the site's name is not cut
    assert brand.evaluate("el => el.scrollWidth <= el.clientWidth")
    # Every section on one line: administration is one "管理" menu, not five more links.
    sections = page.locator("#mainnav > ul")
    assert sections.evaluate("el => el.getBoundingClientRect().height") < 60
    assert_accessible(page, "home (county administrator)")

    # 人员与账号 → 新建账号, with a first role on the village.
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("button", name="管理").click()
    nav.get_by_role("link", name="人员与账号").click()
    expect(page.get_by_role("heading", name="人员与账号")).to_be_visible()
    assert_accessible(page, "user list")
    expect(page.get_by_role("row").filter(has_text="county_admin")).to_contain_text("个人账号")
    page.get_by_test_id("user-create").click()
    expect(page.get_by_role("heading", name="新建账号")).to_be_visible()
    assert_accessible(page, "user form")
    field(page, "用户名").fill("qingshi_dag")
    field(page, "姓名").fill("李秀兰")
    field(page, "初始角色").select_option(label="村档案员")
    field(page, "所在单位").select_option(label="青石村")
    page.screenshot(path=str(ARTIFACTS / "admin-new-account-form.png"), full_page=True)
    page.get_by_test_id("save").click()

    # The initial password is shown once.
    expect(page.get_by_role("heading", name="账号已创建")).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text().strip()
    assert len(secret) >= 10
    assert_accessible(page, "account created (initial password)")
    page.get_by_test_id("logout").click()

    # The new archivist logs in and must choose a password first.
    log_in(page, base, "qingshi_dag", secret)
    expect(page.get_by_test_id("must-change")).to_be_visible()
    assert_accessible(page, "password change")
    page.get_by_label("旧密码").fill(secret)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新密码确认").fill(NEW_PASSWORD)
    page.get_by_test_id("change-password").click()
    expect(page.get_by_test_id("my-roles")).to_contain_text("村档案员 · 青石村")

    # …then files an item in the village's fonds.
    page.goto(f"{base}/holdings/items/new/")
    expect(page.get_by_role("heading", name="新建文件")).to_be_visible()
    assert_accessible(page, "item form")
    field(page, "全宗").select_option(label="C101 青石村民委员会")
    field(page, "门类").select_option(label="WS 文书")
    field(page, "年度").fill("2024")
    field(page, "保管期限").select_option(label="定期10年")
    field(page, "题名").fill("青石村村务监督委员会工作记录")
    page.get_by_label("日期", exact=True).fill("2024-05-01")
    page.screenshot(path=str(ARTIFACTS / "village-archivist-item-form.png"), full_page=True)
    page.get_by_role("button", name="归档", exact=True).click()
    expect(page.get_by_test_id("reference-code")).to_have_text("C101-WS·2024-D10-0001")
    assert_accessible(page, "item detail")
    page.screenshot(path=str(ARTIFACTS / "village-archivist-item-filed.png"), full_page=True)
    page.get_by_test_id("logout").click()

    # The administrator reads it all in the audit log, in words.
    log_in(page, base, county_admin.username)
    nav.get_by_role("button", name="管理").click()
    nav.get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", name="审计日志", exact=True)).to_be_visible()
    actions = page.get_by_test_id("audit-action")
    for label in ("创建账号", "授予角色", "著录文件"):
        expect(actions.filter(has_text=label).first).to_be_visible()
    events = page.get_by_test_id("audit-events")
    expect(events.get_by_role("columnheader", name="对象", exact=True)).to_be_visible()
    expect(events).to_contain_text("青石村村务监督委员会工作记录")
    text = events.inner_text()
    for code in ("account.create", "role.grant", "item.create", "item.file", "holdings.item", "auth.user"):
        assert code not in text
    # Values in words too (in the folded details): the role, the account kind, the unit by name.
    text = events.text_content()
    for raw in ("village_archivist", "person", "password_chosen", "True", "False", "None"):
        assert raw not in text, raw
    assert "村档案员" in text and "个人账号" in text and "青石村（" in text
    assert_accessible(page, "audit log")
    page.screenshot(path=str(ARTIFACTS / "admin-audit-log.png"), full_page=True)


def test_village_archivist_on_a_phone_searches_and_opens_an_item(
    live_server, network, village_archivist, village_fonds, page
):
    from playwright.sync_api import expect

    ItemFactory(fonds=village_fonds, title="关于青石村土地承包经营权确权登记工作的通知", year=2015)
    ItemFactory(fonds=village_fonds, title="青石村村民代表会议记录", year=2016)
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url

    log_in(page, base, village_archivist.username)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    assert_no_page_overflow(page, "home (phone)")
    assert_accessible(page, "home (phone)")

    # The navigation is folded behind its toggler.
    nav = page.get_by_role("navigation", name="主导航")
    items_link = nav.get_by_role("link", name="文件", exact=True)
    expect(items_link).to_be_hidden()
    toggler = nav.get_by_role("button", name="切换导航")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(items_link).to_be_visible()
    assert_no_page_overflow(page, "open menu (phone)")
    page.screenshot(path=str(ARTIFACTS / "phone-menu-open.png"), full_page=True)
    items_link.click()

    expect(page.get_by_role("heading", name="文件", exact=True)).to_be_visible()
    page.get_by_role("searchbox").fill("土地承包")
    page.get_by_role("button", name="检索").click()
    rows = page.get_by_test_id("record-row")
    expect(rows).to_have_count(1)
    # One card per record; the search hit (<mark>) runs on in its title's line, not in a column apart.
    expect(page.get_by_test_id("item-table").locator("thead")).not_to_be_in_viewport()
    title = rows.first.locator("td").nth(1)
    expect(title.locator("mark")).to_have_text("土地承包")
    assert title.evaluate(MARK_FLOWS_WITH_TEXT), "the highlighted words stand apart from the rest of the title"
    assert_no_page_overflow(page, "item list (phone)")
    assert wrapped_buttons(page) == []
    assert_accessible(page, "item list (phone)")
    page.screenshot(path=str(ARTIFACTS / "phone-item-list.png"), full_page=True)

    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("reference-code")).to_have_text(re.compile(r"^C101-WS·2015-"))
    assert_no_page_overflow(page, "item detail (phone)")
    assert wrapped_buttons(page) == []
    assert_accessible(page, "item detail (phone)")
    page.screenshot(path=str(ARTIFACTS / "phone-item-detail.png"), full_page=True)


def test_large_text_mode_keeps_pages_within_a_laptop_screen(
    live_server, network, village_archivist, village_fonds, page
):
    from playwright.sync_api import expect

    item = ItemFactory(fonds=village_fonds, title="关于青石村土地承包经营权确权登记工作的通知", year=2015)
    page.set_viewport_size({"width": 1366, "height": 768})
    base = live_server.url

    log_in(page, base, village_archivist.username)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    page.get_by_role("button", name="大字模式").click()
    # Larger labels need a wider screen: the navigation now folds behind its toggler at 1366 px.
    expect(page.locator("#large-text-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="切换导航")).to_be_visible()
    expect(page.locator("body")).to_have_class(re.compile(r"\blarge-text\b"))

    page.reload()  # the cookie: the server now renders the page large from the first paint
    expect(page.locator("body")).to_have_class(re.compile(r"\blarge-text\b"))
    assert_no_page_overflow(page, "home (large text)")
    assert wrapped_buttons(page) == []
    assert_accessible(page, "home (large text)")
    page.screenshot(path=str(ARTIFACTS / "large-text-home.png"), full_page=True)

    page.goto(f"{base}/holdings/items/")
    expect(page.get_by_test_id("record-row")).to_have_count(1)
    assert_no_page_overflow(page, "item list (large text)")
    assert wrapped_buttons(page) == []
    assert_accessible(page, "item list (large text)")
    page.screenshot(path=str(ARTIFACTS / "large-text-item-list.png"), full_page=True)

    page.goto(f"{base}/holdings/items/{item.pk}/")
    expect(page.get_by_test_id("reference-code")).to_have_text(item.reference_code)
    assert_no_page_overflow(page, "item detail (large text)")
    assert wrapped_buttons(page) == []
    assert_accessible(page, "item detail (large text)")
    page.screenshot(path=str(ARTIFACTS / "large-text-item-detail.png"), full_page=True)
