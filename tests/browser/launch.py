"""Debian's Chromium under Playwright, for the browser tests and `make screenshots`.

Playwright drives the Chromium that apt installed (`apt-get install chromium`), by its
path: never `playwright install`, which would download a browser of its own. axe-core
comes from the npm registry (package.json, `make setup`) and is injected into pages
by tests/browser/axe.py.

Nothing here imports Playwright at module level, so tests/conftest.py can ask
`missing_for_browser()` on a machine without it and skip with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Every wait in the browser is bounded: a broken page fails in seconds, not at CI's timeout.
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000
LAUNCH_TIMEOUT_MS = 30_000

DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 768, "height": 1024}


def missing_for_browser() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs Playwright for Python: make setup (requirements.txt)"
    if not AXE_JS.is_file():
        hint = "make setup" if shutil.which("npm") else "install npm, then make setup"
        return f"needs axe-core in node_modules: {hint}"
    return None


def launch(playwright):
    """Chromium, headless, with nothing running in the background that could reach the network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS)


# Every page keeps a list of what its Content-Security-Policy refused (`csp_violations(page)`).
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} refused ${e.blockedURI || "inline"} at ${where}`);
});
"""


def new_page(browser, *, base_url: str, viewport: dict | None = None):
    """A page in a fresh context (own cookies) with bounded waits."""
    context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP, locale="en-GB")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    return context.new_page()


def csp_violations(page) -> list[str]:
    """What the page's Content-Security-Policy refused since it loaded."""
    return page.evaluate("() => window.__cspViolations || []")
