import yaml


def test_openapi_schema_lists_every_resource(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for resource in ("units", "role-assignments", "fonds", "categories", "volumes", "items"):
        assert f"/api/v1/{resource}/" in paths
    assert "/api/v1/auth/token/" in paths
    item_params = {p["name"] for p in schema["paths"]["/api/v1/items/"]["get"]["parameters"]}
    assert {"q", "after", "fonds", "year", "retention", "open_status", "unit", "category"} <= item_params


def test_swagger_ui_loads_its_assets_locally(client, db):
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()
