"""The permission suite every scoped API resource runs (after NetBox's API test cases).

Subclass :class:`ApiPermissionSuite` as ``Test<Resource>Permissions`` in a test module and
provide a ``case`` fixture returning a :class:`PermissionCase`. The suite checks, for that
resource: anonymous → 401; a user without any role → 403; a user in scope → 200 and sees
exactly the in-scope rows; an object out of scope → 404 for reads *and* writes; a write that
would land out of scope → 403 with nothing saved; and a list query count that does not grow
with the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from archives_site.models import AuditEvent


@dataclass
class PermissionCase:
    list_url: str  # e.g. "/api/v1/units/"
    reader: Any  # a user whose roles reach ``in_scope`` but not ``out_of_scope``
    in_scope: Model
    out_of_scope: Model
    no_role_user: Any
    # A write by ``reader`` that would land outside its reach: (method, url, payload).
    write_out_of_scope: tuple[str, str, dict[str, Any]]
    make_more_in_scope: Callable[[int], None]  # adds n rows the reader can see
    max_list_queries: int
    extra_hidden: list[Model] = field(default_factory=list)  # more rows the reader must not see

    def detail_url(self, obj: Model) -> str:
        return f"{self.list_url}{obj.pk}/"


def _snapshot(model: type[Model]) -> list[dict[str, Any]]:
    return list(model._default_manager.order_by("pk").values())


def _ids(response: Any) -> set[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


class ApiPermissionSuite:
    """Mix into a ``Test…`` class; needs the ``case`` and ``api`` fixtures."""

    def test_anonymous_gets_401(self, case: PermissionCase, api: Any) -> None:
        response = api().get(case.list_url)
        assert response.status_code == 401
        assert response.json()["detail"]

    def test_user_without_role_gets_403(self, case: PermissionCase, api: Any) -> None:
        response = api(case.no_role_user).get(case.list_url)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"

    def test_list_shows_only_rows_in_scope(self, case: PermissionCase, api: Any) -> None:
        response = api(case.reader).get(case.list_url, {"page_size": 500})
        assert response.status_code == 200
        ids = _ids(response)
        assert case.in_scope.pk in ids
        assert case.out_of_scope.pk not in ids
        assert not ids & {obj.pk for obj in case.extra_hidden}

    def test_detail_in_scope_is_200(self, case: PermissionCase, api: Any) -> None:
        response = api(case.reader).get(case.detail_url(case.in_scope))
        assert response.status_code == 200
        assert response.json()["id"] == case.in_scope.pk

    def test_detail_out_of_scope_is_404(self, case: PermissionCase, api: Any) -> None:
        response = api(case.reader).get(case.detail_url(case.out_of_scope))
        assert response.status_code == 404

    def test_write_to_object_out_of_scope_is_404_or_403_and_saves_nothing(self, case: PermissionCase, api: Any) -> None:
        model = type(case.out_of_scope)
        before = _snapshot(model)
        client = api(case.reader)
        statuses = {
            client.patch(case.detail_url(case.out_of_scope), {}, format="json").status_code,
            client.delete(case.detail_url(case.out_of_scope)).status_code,
        }
        # 404 when the role may write this resource somewhere (the object is hidden), 403 when
        # the role may not write it at all, 405 where the resource has no such method.
        assert statuses <= {403, 404, 405}
        assert _snapshot(model) == before

    def test_write_landing_out_of_scope_is_403_and_saves_nothing(self, case: PermissionCase, api: Any) -> None:
        model = type(case.out_of_scope)
        client = api(case.reader)  # issuing its token is audited: count after it
        before, audit_before = _snapshot(model), AuditEvent.objects.count()
        method, url, payload = case.write_out_of_scope
        response = getattr(client, method)(url, payload, format="json")
        assert response.status_code == 403, response.content
        assert response.json()["detail"]
        assert _snapshot(model) == before
        assert AuditEvent.objects.count() == audit_before

    def test_list_query_count_is_constant(self, case: PermissionCase, api: Any) -> None:
        client = api(case.reader)
        client.get(case.list_url)  # warm the token
        with CaptureQueriesContext(connection) as small:
            assert client.get(case.list_url).status_code == 200
        case.make_more_in_scope(10)
        with CaptureQueriesContext(connection) as large:
            assert client.get(case.list_url).status_code == 200
        assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
        assert len(large) <= case.max_list_queries, [q["sql"] for q in large.captured_queries]


@dataclass
class PageCase:
    """The HTML pages of one kind of object, as :class:`HtmlPermissionSuite` checks them."""

    list_url: str
    detail_url: Callable[[Model], str]
    reader: Any  # reaches ``in_scope`` (and may edit it), not ``out_of_scope``
    in_scope: Model
    out_of_scope: Model
    no_role_user: Any
    list_marker: Callable[[Model], str]  # text a list shows for an object (e.g. its code)
    edit_url: Callable[[Model], str] | None = None
    edit_payload: dict[str, Any] = field(default_factory=dict)  # a POST that would change it
    readable_not_writable: Model | None = None  # the reader sees it but its custodian is elsewhere


class HtmlPermissionSuite:
    """The staff pages' counterpart of :class:`ApiPermissionSuite`: login required; no role →
    403; out of scope → 404 for reading *and* writing; a write the reader may not make → 403;
    nothing saved either way. Needs a ``case`` fixture returning a :class:`PageCase`."""

    @staticmethod
    def _client(client: Any, user: Any) -> Any:
        from tests.factories import PASSWORD

        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    def test_anonymous_is_sent_to_login(self, case: PageCase, client: Any) -> None:
        for url in (case.list_url, case.detail_url(case.in_scope)):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_user_without_role_gets_403(self, case: PageCase, client: Any) -> None:
        c = self._client(client, case.no_role_user)
        assert c.get(case.list_url).status_code == 403
        assert c.get(case.detail_url(case.in_scope)).status_code in (403, 404)

    def test_list_shows_only_rows_in_scope(self, case: PageCase, client: Any) -> None:
        page = self._client(client, case.reader).get(case.list_url).content.decode()
        assert case.list_marker(case.in_scope) in page
        assert case.list_marker(case.out_of_scope) not in page

    def test_detail_in_scope_is_200_and_out_of_scope_404(self, case: PageCase, client: Any) -> None:
        c = self._client(client, case.reader)
        assert c.get(case.detail_url(case.in_scope)).status_code == 200
        assert c.get(case.detail_url(case.out_of_scope)).status_code == 404

    def test_edit_out_of_scope_is_404_and_saves_nothing(self, case: PageCase, client: Any) -> None:
        if case.edit_url is None:
            return
        model = type(case.out_of_scope)
        before = _snapshot(model)
        c = self._client(client, case.reader)
        assert c.get(case.edit_url(case.out_of_scope)).status_code == 404
        assert c.post(case.edit_url(case.out_of_scope), case.edit_payload).status_code == 404
        assert _snapshot(model) == before

    def test_edit_readable_but_not_writable_is_403_and_saves_nothing(self, case: PageCase, client: Any) -> None:
        if case.edit_url is None or case.readable_not_writable is None:
            return
        model = type(case.readable_not_writable)
        before = _snapshot(model)
        c = self._client(client, case.reader)
        assert c.get(case.detail_url(case.readable_not_writable)).status_code == 200
        assert c.post(case.edit_url(case.readable_not_writable), case.edit_payload).status_code == 403
        assert _snapshot(model) == before
