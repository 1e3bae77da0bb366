"""The audit log page (审计日志): reach per persona, Chinese names, filters, paging, export,
and the chain's verification shown and started."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from archives_site.audit import audit_record, audit_verify
from archives_site.audit_names import ACTION_LABELS, action_label, object_type_label
from archives_site.models import AuditEvent, AuditVerification
from archives_site.scoping import SYSTEM
from holdings import services as holdings_services
from tests.factories import FondsFactory, ItemFactory

from .test_audit import _tamper

URL = reverse("audit-list")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def holdings(network):
    """An item in village A1 (township A) and one in village B1 (township B), each edited once."""
    fonds_a = FondsFactory(code="C101", name="青石村民委员会", creating_unit=network.village_a1)
    fonds_b = FondsFactory(code="C201", name="白沙村民委员会", creating_unit=network.village_b1)
    item_a = ItemFactory(fonds=fonds_a, title="关于修缮村道的请示")
    item_b = ItemFactory(fonds=fonds_b, title="白沙村土地承包台账")
    holdings_services.record_update(record=item_a, actor=SYSTEM, title="关于修缮青石村村道的请示")
    holdings_services.record_update(record=item_b, actor=SYSTEM, title="白沙村土地承包经营权台账")
    return {"fonds_a": fonds_a, "fonds_b": fonds_b, "item_a": item_a, "item_b": item_b}


def _rows(response) -> list[str]:
    """The text of each event row on the page."""
    html = response.content.decode()
    parts = html.split('data-testid="audit-event"')[1:]
    return [part.split("</tr>")[0] for part in parts]


def _page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    return response


# --- who sees what ---------------------------------------------------------------------------------


def test_county_admin_sees_every_event_with_chinese_names(client, county_admin, holdings):
    client.login(username="county_admin", password="correct-horse-battery-staple")  # an auth.login event
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "审计日志" in html
    assert "修改文件" in html and "授予角色" in html and "登录" in html
    table = html.split('data-testid="audit-events"')[1]  # (the filter's options carry the codes)
    assert "holdings.item" not in table and "auth.login" not in table and "role.grant" not in table
    # The edit reads as a field change in Chinese, before → after.
    assert "题名" in html and "关于修缮村道的请示 → 关于修缮青石村村道的请示" in html
    assert "白沙村土地承包台账 → 白沙村土地承包经营权台账" in html
    # The object links to the record's page.
    assert reverse("holdings:item-detail", args=[holdings["item_a"].pk]) in html
    # Person as full name and username.
    assert "county_admin" in html


def test_township_officer_sees_their_township_only(client, township_officer, holdings, network):
    html = _page(client, township_officer).content.decode()
    assert "关于修缮青石村村道的请示" in html
    assert "白沙村" not in html
    # A filter on the other township's record or unit shows nothing of it.
    item_b = holdings["item_b"]
    by_id = _page(client, township_officer, object_type="holdings.item", object_id=item_b.pk)
    assert _rows(by_id) == []
    by_code = _page(client, township_officer, code=item_b.reference_code)
    assert _rows(by_code) == []
    by_unit = _page(client, township_officer, unit=network.township_b.pk)
    assert _rows(by_unit) == [] and "白沙村" not in by_unit.content.decode().split("<form")[2]
    # Its own record by id, 档号 and unit is found.
    item_a = holdings["item_a"]
    assert _rows(_page(client, township_officer, object_type="holdings.item", object_id=item_a.pk))
    assert _rows(_page(client, township_officer, code=item_a.reference_code))
    assert _rows(_page(client, township_officer, unit=network.village_a1.pk))


def test_archivist_sees_holdings_events_but_not_accounts_and_roles(client, county_archivist, county_admin, holdings):
    client.login(username="county_admin", password="correct-horse-battery-staple")  # someone else's login
    table = _page(client, county_archivist).content.decode().split('data-testid="audit-events"')[1]
    assert "修改文件" in table and "白沙村土地承包经营权台账" in table
    assert "授予角色" not in table  # role grants are the administrators' business
    assert "county_admin" not in table  # nor other people's logins…
    assert "登录" in table and "county_archivist" in table  # …but one reads what one did oneself


@pytest.mark.parametrize("persona", ["village_archivist", "lookup_operator", "no_role_user"])
def test_others_are_refused(client, persona, request, holdings):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 403
    assert client.get(reverse("audit-export", args=["csv"])).status_code == 403
    home = client.get(reverse("home")).content.decode()
    assert "审计日志" not in home


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_nav_entry_for_readers(client, county_admin, township_officer):
    for user in (county_admin, township_officer):
        client.force_login(user)
        assert f'href="{URL}"' in client.get(reverse("home")).content.decode()


def test_restricted_values_are_withheld_beyond_the_readers_right(client, township_officer, holdings, network):
    """An event township A may read (the record was theirs) on a record now classified and kept in
    township B: the old and new titles stay hidden, and there is no link."""
    item = holdings["item_a"]
    holdings_services.record_update(record=item, actor=SYSTEM, classification="secret")
    holdings_services.fonds_update(
        fonds=holdings["fonds_a"], actor=SYSTEM, creating_unit=network.village_b1, custodian_unit=network.village_b1
    )
    html = _page(client, township_officer, object_type="holdings.item", object_id=item.pk).content.decode()
    assert _rows(_page(client, township_officer, object_type="holdings.item", object_id=item.pk))
    assert "关于修缮" not in html
    assert item.reference_code in html
    assert reverse("holdings:item-detail", args=[item.pk]) not in html
    assert 'data-testid="withheld"' in html


# --- filters -----------------------------------------------------------------------------------------


def test_filters_by_person_action_and_date(client, county_admin, holdings):
    audit_record(action="item.change", actor=county_admin, obj=holdings["item_a"], data={"note": ["", "补记"]})
    rows = _rows(_page(client, county_admin, person="county_admin", action="item.change"))
    assert len(rows) == 1 and "补记" in rows[0]
    assert "登录" in _rows(_page(client, county_admin, person=county_admin.first_name))[0]  # by full name
    rows = _rows(_page(client, county_admin, action="role.grant"))
    assert rows and all("授予角色" in row for row in rows)
    assert _rows(_page(client, county_admin, date_from="2000-01-01", date_to="2000-01-02")) == []
    assert len(_rows(_page(client, county_admin, date_from="2000-01-01"))) == AuditEvent.objects.count()


@pytest.mark.parametrize(
    "params",
    [
        {"object_type": "holdings.item", "object_id": "99999999999999999999999"},
        {"object_type": "holdings.item", "object_id": "-1"},
        {"object_id": "5"},
        {"object_type": "no.such"},
        {"action": "no.such"},
        {"unit": "99999999999999999999999"},
        {"unit": "abc"},
        {"date_from": "2026-13-45"},
        {"date_from": "2026-12-02", "date_to": "2026-12-01"},
        {"person": "x" * 500},
        {"after": "abc"},
        {"after": "99999999999999999999999", "before": "-5"},
        {"after": "²", "before": "١٢"},  # digits str.isdigit() accepts and int() refuses
        {"unit": "²"},
    ],
)
def test_odd_filters_are_form_errors_not_500(client, county_admin, holdings, params):
    client.force_login(county_admin)
    response = client.get(URL, params)
    assert response.status_code == 200
    html = response.content.decode()
    if not set(params) <= {"after", "before"}:
        assert 'data-testid="filter-errors"' in html
        assert _rows(response) == []


def test_nul_in_a_filter_is_a_clear_400(client, county_admin):
    client.force_login(county_admin)
    assert client.get(URL, {"person": "a\x00b"}).status_code == 400


def test_keyset_pages_go_older_and_back_with_bounded_queries(
    client, county_admin, django_assert_max_num_queries, network
):
    for n in range(120):
        audit_record(action="unit.change", obj=network.village_a1, data={"name": [f"旧{n}", f"新{n}"]})
    client.force_login(county_admin)
    with django_assert_max_num_queries(20):
        first = client.get(URL)
    first_rows = _rows(first)
    assert len(first_rows) == 50
    older = first.context["older"]
    second = client.get(URL, {"after": older})
    seqs = [row.event.seq for row in second.context["rows"]]
    assert len(seqs) == 50 and max(seqs) < older
    back = client.get(URL, {"before": second.context["newer"]})
    assert [row.event.seq for row in back.context["rows"]] == [row.event.seq for row in first.context["rows"]]
    assert back.context["newer"] is None


# --- names ---------------------------------------------------------------------------------------------

# Call sites whose action is not a literal: (file, enclosing function) → the prefixes it puts before
# the action its callers pass (``_audit_record("change", …)`` → ``item.change``, ``volume.change``).
DYNAMIC_EMITTERS = {("holdings/services.py", "_audit_record"): ("item", "volume")}
SOURCE_DIRS = ("archives_site", "villages", "holdings", "lookup", "inspections")


def _emitted_actions() -> tuple[set[str], list[str]]:
    """Every action string passed to ``audit_record`` in the project's code, and the call sites
    with a computed action that no entry of ``DYNAMIC_EMITTERS`` explains."""
    actions: set[str] = set()
    unexplained: list[str] = []
    for directory in SOURCE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            wrappers: dict[str, tuple[str, ...]] = {}
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call) or _name(call.func) != "audit_record":
                        continue
                    action = next((kw.value for kw in call.keywords if kw.arg == "action"), None)
                    literals = _literals(action)
                    if literals:
                        actions |= literals
                    elif (relative, function.name) in DYNAMIC_EMITTERS:
                        wrappers[function.name] = DYNAMIC_EMITTERS[(relative, function.name)]
                    else:
                        unexplained.append(f"{relative}:{call.lineno} in {function.name}()")
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and _name(call.func) in wrappers:
                    first = call.args[0] if call.args else None
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        actions |= {f"{prefix}.{first.value}" for prefix in wrappers[_name(call.func)]}
                    else:
                        unexplained.append(
                            f"{relative}:{call.lineno} calls {_name(call.func)}() with a computed action"
                        )
    return actions, unexplained


def _literals(node: ast.AST | None) -> set[str]:
    """The strings an action argument can be when it is written out: a literal, or a choice
    between literals (``"account.reactivate" if active else "account.deactivate"``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return body | orelse if body and orelse else set()
    return set()


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def test_every_emitted_action_has_a_chinese_label():
    actions, unexplained = _emitted_actions()
    assert not unexplained, f"audit_record() with a computed action: declare it in DYNAMIC_EMITTERS: {unexplained}"
    assert {"auth.login", "auth.login_failed", "role.grant", "item.change", "item.file"} <= actions  # the scan works
    missing = sorted(actions - set(ACTION_LABELS))
    assert not missing, f"add these actions to archives_site.audit_names.ACTION_LABELS: {missing}"


def test_every_label_is_translated(settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        untranslated = [code for code in ACTION_LABELS if action_label(code).isascii()]
        assert not untranslated
        assert action_label("role.grant") == "授予角色"
        assert action_label("account.create") == "创建账号"
        assert object_type_label("holdings.item") == "文件"
        assert object_type_label("auth.user") == "用户账号"


def test_unknown_action_still_renders_as_its_code(client, county_admin):
    audit_record(action="lookup.future_thing", actor=SYSTEM)
    assert "lookup.future_thing" in _page(client, county_admin).content.decode()


# --- export --------------------------------------------------------------------------------------------


def test_csv_export_in_chinese_and_audited(client, county_admin, holdings):
    client.force_login(county_admin)
    response = client.get(reverse("audit-export", args=["csv"]), {"action": "item.change"})
    assert response.status_code == 200
    assert f"{settings.SITE_NAME}-审计日志-" in unquote(response["Content-Disposition"])
    assert unquote(response["Content-Disposition"]).endswith(".csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["序号", "时间", "操作人", "操作"]
    assert len(rows) == 3 and all(row[3] == "修改文件" and row[4] == "文件" for row in rows[1:])
    assert any("题名: 关于修缮村道的请示 → 关于修缮青石村村道的请示" in row[9] for row in rows[1:])
    export = AuditEvent.objects.filter(action="audit.export").get()
    assert export.actor == county_admin and export.data == {
        "format": "csv",
        "filters": {"action": "item.change"},
        "rows": 2,
    }


def test_xlsx_export_of_a_township_is_its_own(client, township_officer, holdings):
    client.force_login(township_officer)
    response = client.get(reverse("audit-export", args=["xlsx"]))
    assert response.status_code == 200
    assert unquote(response["Content-Disposition"]).endswith(
        f"{settings.SITE_NAME}-审计日志-{timezone.localdate()}.xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "序号"
    text = repr(values)
    assert "关于修缮青石村村道的请示" in text and "白沙村" not in text


def test_export_over_the_cap_is_refused_with_a_message(client, county_admin, holdings, settings):
    settings.AUDIT_EXPORT_MAX_ROWS = 2
    client.force_login(county_admin)
    response = client.get(reverse("audit-export", args=["csv"]), follow=True)
    assert "请缩小筛选范围" in response.content.decode() or "缩小" in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


# --- verification ---------------------------------------------------------------------------------------


def test_verification_of_an_intact_chain_is_shown(client, county_admin, holdings, django_capture_on_commit_callbacks):
    client.force_login(county_admin)
    assert "尚未校验" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit-verify"))
    assert response.status_code == 302
    verification = AuditVerification.objects.get()
    assert verification.status == "intact" and verification.rows_checked == AuditEvent.objects.count()
    html = client.get(URL).content.decode()
    assert "日志完整" in html and "county_admin" in html


def test_verification_of_a_tampered_chain_names_the_row(client, county_admin, holdings):
    from archives_site.tasks import audit_verify_nightly

    _tamper("UPDATE archives_site_auditevent SET reason = %s WHERE seq = %s", ["无事发生", 3])
    audit_verify_nightly()
    client.force_login(county_admin)
    html = client.get(URL).content.decode()
    assert "已被篡改" in html and "第 3 条记录被修改" in html and "每晚定时校验" in html


def test_only_the_county_admin_starts_a_verification_and_only_once(
    client, county_admin, township_officer, django_capture_on_commit_callbacks
):
    client.force_login(township_officer)
    assert client.post(reverse("audit-verify")).status_code == 403
    assert "立即校验" not in client.get(URL).content.decode()
    client.force_login(county_admin)
    client.post(reverse("audit-verify"))
    client.post(reverse("audit-verify"))  # a second click while the first is queued
    assert AuditVerification.objects.count() == 1


def test_nightly_verification_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-verify-nightly"]
    assert entry["task"] == "archives_site.tasks.audit_verify_nightly"
    assert entry["options"]["queue"] == "fixity"
    from archives_site.celery import app

    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


# --- events know their unit ------------------------------------------------------------------------------


def test_events_carry_the_unit_of_their_object_and_it_is_hashed(holdings, network):
    event = AuditEvent.objects.filter(action="item.change", object_id=str(holdings["item_a"].pk)).get()
    assert event.unit_id == network.village_a1.pk
    grant = AuditEvent.objects.filter(action="role.grant").first()
    assert grant is None or grant.unit_id is not None
    assert audit_verify() == []
    _tamper("UPDATE archives_site_auditevent SET unit_id = %s WHERE seq = %s", [network.village_b1.pk, event.seq])
    assert [(p.seq, p.kind) for p in audit_verify()] == [(event.seq, "edited")]


# --- values in words ------------------------------------------------------------------------------


def test_account_and_role_values_read_as_words_not_codes(client, county_admin, network):
    """Account kinds, flags, reasons, roles and units as a person reads them (the page and the export)."""
    from villages import services as village_services
    from villages.roles import Role

    user, _ = village_services.user_create(actor=county_admin, username="baisha_api", full_name="")
    village_services.user_update(actor=county_admin, user=user, kind="service")
    village_services.service_token_issue(actor=county_admin, user=user)
    audit_record(action="auth.login_refused", actor=user, obj=user, data={"reason": "service_account", "session": True})
    grantee, _ = village_services.user_create(actor=county_admin, username="qingshi_dag", full_name="李秀兰")
    village_services.role_assignment_create(
        actor=county_admin, user=grantee, role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
    )
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1, end_year=2020)
    holdings_services.fonds_update(fonds=fonds, actor=county_admin, end_year=None)

    table = _page(client, county_admin).content.decode().split('data-testid="audit-events"')[1]
    assert "个人账号 → 服务账号" in table
    assert "密码由管理员设定" in table and "由管理员签发" in table
    assert "服务账号（仅限接口）试图登录网页" in table and "结束会话" in table
    assert "村档案员" in table and "青石村（330199101001）" in table
    assert "2020 → —" in table
    for raw in ("service_account", "password_chosen", "issued_by_admin", "village_archivist", "None", "False"):
        assert raw not in table, raw
    export = client.get(reverse("audit-export", args=["csv"])).content.decode("utf-8-sig")
    assert "个人账号 → 服务账号" in export and "青石村（330199101001）" in export
    assert "village_archivist" not in export and "password_chosen" not in export


def test_a_township_officer_reads_the_account_events_of_their_township(client, township_officer, county_admin, network):
    """Account events are filed at the unit of the account's roles; everyone reads what they did."""
    from villages import services as village_services
    from villages.roles import Role

    mine, _ = village_services.user_create(
        actor=township_officer,
        username="qingshi_new",
        full_name="王小明",
        role=Role.VILLAGE_ARCHIVIST,
        unit=network.village_a1,
    )
    village_services.user_password_reset(actor=township_officer, user=mine)
    other, _ = village_services.user_create(
        actor=county_admin, username="baisha_new", full_name="", role=Role.VILLAGE_ARCHIVIST, unit=network.village_b1
    )
    village_services.user_password_reset(actor=county_admin, user=other)
    table = _page(client, township_officer).content.decode().split('data-testid="audit-events"')[1]
    assert "qingshi_new" in table and "重置密码" in table
    assert "baisha_new" not in table


def test_dates_beyond_the_calendar_are_no_bound_not_a_500(client, county_admin, holdings):
    for params in ({"date_from": "0001-01-01"}, {"date_from": "0001-01-01", "date_to": "9999-12-31"}):
        assert _rows(_page(client, county_admin, **params))
        for fmt in ("csv", "xlsx"):
            assert client.get(reverse("audit-export", args=[fmt]), params).status_code == 200


def test_an_exports_filters_and_names_read_in_chinese(client, county_admin, holdings):
    client.force_login(county_admin)
    client.get(
        reverse("audit-export", args=["csv"]), {"action": "role.grant", "object_type": "villages.roleassignment"}
    )
    client.get(reverse("audit-export", args=["csv"]))
    table = _page(client, county_admin, action="audit.export").content.decode().split('data-testid="audit-events"')[1]
    assert "操作: 授予角色" in table and "对象类型: " in table and "筛选条件" in table
    for raw in ("role.grant", "villages.roleassignment", "object_type", "action:"):
        assert raw not in table, raw


def test_an_object_name_is_kept_in_the_sites_language(county_admin, network):
    from django.utils import translation

    from villages import services as village_services
    from villages.roles import Role

    user, _ = village_services.user_create(actor=county_admin, username="t1", full_name="")
    with translation.override("en"):
        village_services.role_assignment_create(
            actor=county_admin, user=user, role=Role.LOOKUP_OPERATOR, unit=network.village_a1
        )
    event = AuditEvent.objects.filter(action="role.grant").latest("seq")
    assert "查档受理员" in event.object_repr and "Lookup operator" not in event.object_repr


def test_a_custody_change_is_one_event(county_admin, network):
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1, custodian_unit=network.village_a1)
    holdings_services.fonds_update(fonds=fonds, actor=county_admin, custodian_unit=network.township_a, name="新名")
    assert AuditEvent.objects.filter(action="fonds.custody", object_id=str(fonds.pk)).count() == 1
    change = AuditEvent.objects.get(action="fonds.change", object_id=str(fonds.pk))
    assert set(change.data) == {"name"}
