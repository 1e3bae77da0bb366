"""Every user-facing string reaches the user in Chinese.

* The catalogue: ``makemessages`` runs on a scratch copy of the sources (never on the real
  catalogue, which other work edits by hand) and every msgid it finds must have a non-empty,
  non-fuzzy msgstr in locale/zh_Hans (Python and templates: ``django``; static/js: ``djangojs``,
  served through /jsi18n/).
* The templates: text and user-facing attributes (title, placeholder, aria-label, alt,
  data-label) outside ``{% trans %}``/``{% blocktrans %}`` hold no English words nor Chinese:
  a literal there is never translated.
* Messages that used to leak English or read wrong (DRF's JSON parse errors, the csv module's
  field limit, Django's zh_Hans text for NUL characters).
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]


# --- the catalogue ------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    context: str = ""
    plural: str = ""
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False


def read_po(path: Path) -> dict[tuple[str, str], Entry]:
    """The entries of a .po file by (msgctxt, msgid); obsolete (``#~``) entries are left out."""
    entries: dict[tuple[str, str], Entry] = {}
    if not path.exists():
        return entries
    current: Entry | None = None
    fuzzy = False
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None and current.msgid:
            entries[(current.context, current.msgid)] = current
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                fuzzy = False
            continue
        if line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):  # a continuation line
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest)
            if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
                finish()
            if current is None:
                current = Entry(msgid="", fuzzy=fuzzy)
                fuzzy = False
        assert current is not None
        if not keyword.startswith('"'):
            if keyword == "msgctxt":
                target = ("context", 0)
            elif keyword == "msgid":
                target = ("msgid", 0)
            elif keyword == "msgid_plural":
                target = ("plural", 0)
            elif keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if "[" in keyword else 0
                while len(current.msgstr) <= index:
                    current.msgstr.append("")
                target = ("msgstr", index)
        assert target is not None
        if target[0] == "msgstr":
            current.msgstr[target[1]] += value
        else:
            setattr(current, target[0], getattr(current, target[0]) + value)
    finish()
    return entries


def _scratch_copy(tmp_path: Path) -> Path:
    """The sources makemessages reads (apps, templates, site scripts), without the catalogue."""
    copy = tmp_path / "src"
    copy.mkdir()
    shutil.copy2(ROOT / "manage.py", copy / "manage.py")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations", "vendor")
    for app in sorted(path.parent for path in ROOT.glob("*/apps.py")):
        shutil.copytree(app, copy / app.name, ignore=skip)
    shutil.copytree(ROOT / "templates", copy / "templates", ignore=skip)
    shutil.copytree(ROOT / "static", copy / "static", ignore=skip)
    (copy / "locale").mkdir()
    return copy


def extracted(tmp_path: Path, domain: str) -> dict[tuple[str, str], Entry]:
    """Every msgid of ``domain`` that makemessages finds in the sources now."""
    copy = _scratch_copy(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(copy), "DJANGO_SETTINGS_MODULE": "archives_site.settings"}
    env.setdefault("SECRET_KEY", "only-for-extracting-messages")
    env.setdefault("AUDIT_HMAC_KEY", "only-for-extracting-messages-not-a-secret")
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "-d", domain, "--no-location", "-v0"]
    if domain == "djangojs":
        command += ["--ignore", "static/vendor/*"]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    return read_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po")


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_msgid_in_the_sources_has_a_chinese_translation(tmp_path, domain):
    found = extracted(tmp_path, domain)
    catalogue = read_po(CATALOGUE / f"{domain}.po")
    problems = []
    for key, entry in sorted(found.items()):
        translated = catalogue.get(key)
        label = f"{entry.msgid!r}" + (f" (context {entry.context!r})" if entry.context else "")
        if translated is None:
            problems.append(f"missing: {label}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {label}")
        elif not translated.msgstr or not all(text.strip() for text in translated.msgstr):
            problems.append(f"empty: {label}")
    assert not problems, (
        f"{len(problems)} msgid(s) of locale/zh_Hans/LC_MESSAGES/{domain}.po lack a Chinese translation "
        "(append them by hand, then `make messages`):\n" + "\n".join(problems)
    )


def test_the_po_reader_sees_missing_fuzzy_and_empty_entries(tmp_path):
    po = tmp_path / "t.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        'msgid "Fonds"\nmsgstr "全宗"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s items"\nmsgstr "%(n)s 件"\n\n'
        'msgid ""\n"Two "\n"lines"\nmsgstr ""\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgid_plural "Mays"\nmsgstr[0] "五月"\n\n'
        '#~ msgid "Old"\n#~ msgstr "旧"\n',
        encoding="utf-8",
    )
    entries = read_po(po)
    assert entries[("", "Fonds")].msgstr == ["全宗"] and not entries[("", "Fonds")].fuzzy
    assert entries[("", "%(n)s items")].fuzzy
    assert entries[("", "Two lines")].msgstr == [""]
    assert entries[("month", "May")].plural == "Mays" and entries[("month", "May")].msgstr == ["五月"]
    assert ("", "Old") not in entries


# --- literals in templates ----------------------------------------------------------------------

PLACEHOLDER = "\x01"  # where a {{ variable }} or a {% tag %} was
USER_FACING_ATTRIBUTES = re.compile(
    r"""\b(title|placeholder|aria-label|aria-description|alt|data-label)\s*=\s*(["'])(.*?)\2""", re.S
)
ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")  # a word with a lower-case letter (not "PDF")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[#\w]+;")
UNTRANSLATED_BLOCKS = {"comment": "endcomment", "verbatim": "endverbatim"}
TRANSLATED_BLOCKS = {"blocktrans": "endblocktrans", "blocktranslate": "endblocktranslate"}


def template_text(source: str) -> str:
    """The template with every tag and variable replaced by a placeholder and the insides of
    blocktrans, comment and verbatim blocks dropped: what is left is literal page text."""
    parts: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if closing:
                if name == closing:
                    closing = None
                continue
            closing = UNTRANSLATED_BLOCKS.get(name) or TRANSLATED_BLOCKS.get(name)
            parts.append(PLACEHOLDER)
        elif closing:
            continue
        elif token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        else:
            parts.append(PLACEHOLDER)
    text = "".join(parts)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", text, flags=re.S | re.I)


def literals(source: str) -> list[str]:
    """Literal English words or Chinese in the page text and user-facing attributes."""
    text = template_text(source)
    found = []
    for match in USER_FACING_ATTRIBUTES.finditer(text):
        found.append(match.group(3))
    found.extend(TAG.sub(PLACEHOLDER, text).split(PLACEHOLDER))
    problems = []
    for chunk in found:
        chunk = ENTITY.sub(" ", chunk).strip()
        if chunk and (CJK.search(chunk) or ENGLISH_WORD.search(chunk)):
            problems.append(" ".join(chunk.split()))
    return problems


def test_the_template_check_finds_literals_and_spares_translated_text():
    assert set(literals('<p>Not found</p><a title="Back">{% trans "Home" %}</a>')) == {"Back", "Not found"}
    assert literals("<td>档号</td>") == ["档号"]
    assert (
        literals(
            '{% blocktrans %}Error {{ status }}{% endblocktrans %} <span aria-label="{% trans "Close" %}">·</span>'
        )
        == []
    )
    assert literals("{% comment %}Why this is so{% endcomment %}{# a note #}<b>{{ item.title }}</b> PDF (J001)") == []


def test_templates_hold_no_literal_english_or_chinese_text():
    problems = []
    for directory in TEMPLATE_DIRS:
        for path in sorted(directory.rglob("*.html")):
            for literal in literals(path.read_text(encoding="utf-8")):
                problems.append(f"{path.relative_to(ROOT)}: {literal!r}")
    assert not problems, "Text outside {% trans %} / {% blocktrans %} (never translated):\n" + "\n".join(problems)


def test_site_scripts_hold_no_chinese_literals():
    """User-facing text in static/js goes through gettext() (djangojs, /jsi18n/), not literals."""
    problems = []
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("//", 1)[0]
            for literal in re.findall(r"""(["'])((?:\\.|(?!\1).)*)\1""", code):
                if CJK.search(literal[1]):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {literal[1]!r}")
    assert not problems, "\n".join(problems)


# --- messages that leaked English ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_json_body_that_does_not_parse_says_where_in_chinese(api, county_admin):
    client = api(county_admin, language="zh-hans")
    response = client.generic("POST", "/api/v1/units/", '{"name": "青石村" "code": 1}', content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "第 1 行第 16 列" in body["detail"] and "引号、逗号和括号" in body["detail"]
    assert "JSON parse error" not in body["detail"] and "Expecting" not in body["detail"]


@pytest.mark.django_db
def test_a_json_body_that_is_not_utf8_says_so_in_chinese(api, county_admin):
    client = api(county_admin, language="zh-hans")
    response = client.generic(
        "POST", "/api/v1/units/", '{"name": "青石村"}'.encode("gbk"), content_type="application/json"
    )
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]
    assert "codec" not in response.json()["detail"]


@pytest.mark.django_db
def test_a_nul_character_in_a_json_field_is_named_as_such_in_chinese(api, county_admin):
    client = api(county_admin, language="zh-hans")
    response = client.post("/api/v1/units/", {"name": "青石\u0000村", "code": "1"}, format="json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "NUL" in detail and "空字符串" not in detail


def _read_csv(data: str) -> None:
    from holdings.imports import reading

    rows = reading._csv_rows(io.BytesIO(data.encode("utf-8")), "utf-8", data.encode("utf-8")[:100])
    for _row in rows:
        pass


def test_a_csv_cell_over_the_field_limit_is_explained_in_chinese():
    from holdings.imports.reading import Refused

    data = '题名,年度\n"未闭合的引号,2015\n' + "很长的内容\n" * (csv.field_size_limit() // 5)
    with translation.override("zh-hans"), pytest.raises(Refused) as refused:
        _read_csv(data)
    message = str(refused.value)
    assert "第 2 行" in message and "引号" in message and ".xlsx" in message
    assert "field limit" not in message
