"""axe-core in the page: accessibility checks on what the browser actually rendered.

`axe_violations(page)` injects node_modules/axe-core/axe.min.js (pinned in
package-lock.json) and runs it over the whole document against WCAG 2.x A and AA and
axe's best practices; `assert_accessible(page)` fails on any serious or critical
violation, naming the rule, the help text and the first few offending elements, so
the failure says what to fix without opening a browser.
"""

from __future__ import annotations

import warnings

from tests.browser.launch import AXE_JS

BLOCKING = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Known violations waiting for a fix outside templates/CSS, each narrowed to the rule and
# the elements it was found on, with why. They are reported as warnings, not hidden.
# Empty since the zone picker's charts became role=group.
KNOWN: dict[str, tuple[str, str]] = {
    # rule id: (a CSS fragment every offending element's selector contains, why)
}


# Colours are read mid-fade otherwise: a dialog or tab pane fading in has text at a
# fraction of its contrast (axe once measured a caption at 2.1:1 during the fade).
SETTLED = """() => document.getAnimations().every(
    a => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity)"""


def axe_violations(page) -> list[dict]:
    page.wait_for_function(SETTLED, timeout=5_000)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the test harness, not added as a <script> tag: the page's
        # Content-Security-Policy rightly refuses inline scripts, and must stay on here.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary, html: n.html})),
            }));
        }""",
        TAGS,
    )
    return result


def describe(violations: list[dict], limit: int = 4) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} element(s)) {v['helpUrl']}")
        for node in v["nodes"][:limit]:
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"    {node['target']}: {node['html'][:160]}\n      {summary[:300]}")
    return "\n".join(lines)


def is_known(violation: dict) -> bool:
    known = KNOWN.get(violation["id"])
    if known is None:
        return False
    fragment = known[0]
    return all(fragment in node["target"] or fragment in node["html"] for node in violation["nodes"])


def blocking_violations(page) -> list[dict]:
    """Serious and critical violations, less the known ones (which are warned about)."""
    blocking = []
    for v in axe_violations(page):
        if v["impact"] not in BLOCKING:
            continue
        if is_known(v):
            warnings.warn(f"known accessibility problem on {page.url}: {v['id']}: {KNOWN[v['id']][1]}", stacklevel=2)
            continue
        blocking.append(v)
    return blocking


def assert_accessible(page, *, what: str | None = None) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    blocking = blocking_violations(page)
    assert not blocking, f"axe-core on {what or page.url}:\n{describe(blocking)}"
