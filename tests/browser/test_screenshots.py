"""`make screenshots` works end to end: a throwaway demo clinic, the owner's log-in at
desktop and tablet width (where the menu is folded), and the chosen pages saved."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.browser.launch import BASE_DIR

pytestmark = pytest.mark.browser


def test_the_screenshots_target_saves_the_chosen_page_at_desktop_and_tablet_width(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.browser.screenshots", "--only", "reports", "--out", str(tmp_path)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    saved = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.png"))
    assert saved == ["1366/reports.png", "768/reports.png"]
    assert "Saved 2 screenshots" in result.stdout
