"""Helpers for the Chromium journeys: logging in, the accessibility check (axe-core, vendored in
tests/vendor/axe-core/, never served) and the layout checks (no sideways scrolling, buttons on one line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.factories import PASSWORD

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# What fails a page: axe's two worst impacts (moderate and minor ones are left to review).
FAILING_IMPACTS = ("serious", "critical")


def log_in(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; its violations of serious or critical impact.

    The script is evaluated through the DevTools protocol (``page.evaluate``), which the site's
    Content-Security-Policy does not govern: ``add_script_tag`` would insert an inline script,
    which the policy (rightly) refuses."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
                summary: (v.nodes[0] && v.nodes[0].failureSummary || "").replace(/\\s+/g, " "),
            }));
        }"""
    )
    return [violation for violation in result if violation["impact"] in FAILING_IMPACTS]


def assert_accessible(page: Any, name: str) -> None:
    """Fail when axe finds a serious or critical violation on the page, naming each with the
    first few elements it concerns."""
    violations = axe_violations(page)
    lines = [
        f"  {v['impact']}: {v['id']} ({v['help']}): {', '.join(v['targets'][:3])}"
        + (f" and {len(v['targets']) - 3} more" if len(v["targets"]) > 3 else "")
        + f"\n    {v['summary'][:300]}"
        for v in violations
    ]
    assert not violations, f"accessibility violations on {name} ({page.url}):\n" + "\n".join(lines)


def assert_no_page_overflow(page: Any, name: str) -> None:
    """The page never scrolls sideways (wide tables scroll inside their own box or become cards)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths[0]}px of content in a {widths[1]}px window"


def wrapped_buttons(page: Any) -> list[str]:
    """The visible buttons (and button-styled links) whose words break onto a second line."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".btn, button")].filter(el => {
            const box = el.getBoundingClientRect();
            if (!box.width || !box.height || !el.textContent.trim()) return false;
            const style = getComputedStyle(el);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
            const inner = box.height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)
                - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
            return inner > line * 1.5;
        }).map(el => el.textContent.trim().replace(/\\s+/g, " "))"""
    )
