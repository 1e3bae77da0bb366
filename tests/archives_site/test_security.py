import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from archives_site.security import never_store, no_store
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_templates_have_no_inline_scripts_styles_or_handlers():
    """What the policy refuses would silently break in the browser: find it here instead."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    style_attr = re.compile(r"""\sstyle\s*=\s*["']""", re.I)
    style_tag = re.compile(r"<style[\s>]", re.I)
    handler = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
    javascript_url = re.compile(r"""href\s*=\s*["']javascript:""", re.I)
    found = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = path.read_text()
            for pattern in (inline_script, style_attr, style_tag, handler, javascript_url):
                found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []


def test_htmx_is_told_not_to_inject_its_inline_style(client, db):
    html = client.get(reverse("login")).content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in html


def test_permissions_policy_allows_only_the_camera_of_the_site(client, db):
    policy = client.get(reverse("login"))["Permissions-Policy"]
    assert "camera=(self)" in policy
    assert "microphone=()" in policy and "geolocation=()" in policy


@pytest.mark.parametrize("path", ["/api/v1/units/", "/api/v1/items/", "/api/schema/"])
def test_api_responses_are_never_stored(api, village_archivist, path):
    for client in (api(village_archivist), api()):
        cache_control = client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control


def test_no_store_helpers():
    response = no_store(HttpResponse("secret"))
    assert "no-store" in response["Cache-Control"]
    view = never_store(lambda request: HttpResponse("secret"))
    assert "no-store" in view(RequestFactory().get("/"))["Cache-Control"]


def test_html_pages_are_not_marked_no_store_by_default(client, village_archivist):
    client.login(username="village_archivist", password=PASSWORD)
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")


def test_stale_connections_are_checked_before_reuse():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_upload_limits_are_set(settings):
    assert settings.UPLOAD_MAX_BYTES == 50 * 1024 * 1024
    assert 0 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.UPLOAD_MAX_BYTES


DEPLOYMENT_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "Zq8v_3Kp-rT9wLm2Xy7BnC4dFg6HjU1iOaSeRtYuIoPlKjHgFdSaQwErTyU",
    "AUDIT_HMAC_KEY": "k9Vb2Nm5Qw8Er1Ty4Ui7Op0AsDfGhJkLzXcV",
    "ALLOWED_HOSTS": "archives.example.gov.cn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_the_documented_deployment_settings():
    test_only = {"DEBUG", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_ALLOW_AUDIT_TRUNCATE"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "archives_site.settings", **DEPLOYMENT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
