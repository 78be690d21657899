"""`make screenshots`: every main page at desktop (1366 px) and tablet (768 px) width.

Sets up a throwaway demo clinic (a temporary SQLite file, `migrate`, `seed_demo`),
serves it with `runserver` on a free loopback port, logs in as the demo owner
(owner / demo) and saves a full-page PNG of each page of tests/browser/pages.py to
var/screenshots/<width>/<page>.png. Nothing of the developer's own database is touched.

    python -m tests.browser.screenshots [--only today,client] [--out var/screenshots]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.browser.launch import BASE_DIR, DESKTOP, TABLET, launch, missing_for_browser, new_page
from tests.smtp_sink import free_port

WIDTHS = {"1366": DESKTOP, "768": TABLET}
SERVER_TIMEOUT = 60


def manage(env: dict, *args: str, timeout: float = 300) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=timeout)


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver exited with {server.returncode}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url + "/login/", timeout=2)
            return
        time.sleep(0.3)
    raise SystemExit(f"runserver did not answer on {url} within {SERVER_TIMEOUT} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(BASE_DIR / "var" / "screenshots"))
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args(argv)
    if reason := missing_for_browser():
        print(f"Cannot take screenshots: {reason}", file=sys.stderr)
        return 1

    workdir = Path(tempfile.mkdtemp(prefix="rc-screenshots-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'demo.sqlite3'}",
        DEBUG="1",  # the demo logins work only with DEBUG on
        SITE_URL=base_url,
        DJANGO_SETTINGS_MODULE="reflexclinic.settings",
        PYTHONUNBUFFERED="1",
    )
    # This process reads the same throwaway database to find the pages' examples.
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "SITE_URL", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("REDIS_URL", None)
    server = None
    try:
        print("Setting up a throwaway demo clinic...")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo")
        log = (workdir / "runserver.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(base_url, server)
        return shoot(base_url, Path(args.out), {n for n in args.only.split(",") if n})
    finally:
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def shoot(base_url: str, out: Path, only: set[str]) -> int:
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from accounts.models import Clinic
    from tests.browser.pages import main_pages

    pages = [p for p in main_pages(Clinic.objects.get(name="Demo Reflexology")) if not only or p.name in only]
    saved = 0
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for width, viewport in WIDTHS.items():
                folder = out / width
                folder.mkdir(parents=True, exist_ok=True)
                owner, anonymous = (new_page(browser, base_url=base_url, viewport=viewport) for _ in range(2))
                owner.goto("/login/")
                owner.get_by_label("Username").fill("owner")
                owner.get_by_label("Password").fill("demo")
                owner.get_by_role("button", name="Log in").click()
                # Logged in: the log-out form is there (folded into the menu at tablet width).
                owner.locator("form[action='/logout/']").wait_for(state="attached")
                for main in pages:
                    page = owner if main.who == "owner" else anonymous
                    page.goto(main.path)
                    page.wait_for_load_state("load")
                    path = folder / f"{main.name}.png"
                    page.screenshot(path=str(path), full_page=True)
                    saved += 1
                    print(f"{path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path}")
                for page in (owner, anonymous):
                    page.context.close()
        finally:
            browser.close()
    print(f"Saved {saved} screenshots under {out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
