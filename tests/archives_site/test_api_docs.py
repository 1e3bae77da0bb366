import yaml

from tests.factories import PASSWORD


def test_openapi_schema_lists_every_resource(client, village_archivist):
    client.login(username="village_archivist", password=PASSWORD)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for resource in ("units", "role-assignments", "fonds", "categories", "volumes", "items"):
        assert f"/api/v1/{resource}/" in paths
    for auth in ("", "revoke/", "rotate/"):
        assert f"/api/v1/auth/token/{auth}" in paths
    item_params = {p["name"] for p in schema["paths"]["/api/v1/items/"]["get"]["parameters"]}
    assert {"q", "after", "fonds", "year", "retention", "open_status", "unit", "category"} <= item_params


def test_schema_and_docs_are_for_signed_in_users_only(client, db):
    assert client.get("/api/schema/").status_code == 401
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/api/docs/")
    assert client.get("/api/docs/?script=").status_code == 302


def test_schema_is_served_to_a_token(api, village_archivist):
    assert api(village_archivist).get("/api/schema/").status_code == 200


def test_swagger_ui_loads_its_assets_locally_without_inline_script(client, village_archivist):
    client.login(username="village_archivist", password=PASSWORD)
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()
    assert "<script>" not in html  # the init script comes from ?script (CSP: script-src 'self')
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_browsable_api_is_off_in_production(api, village_archivist):
    response = api(village_archivist).get("/api/v1/units/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/json"
    assert b"<form" not in response.content
