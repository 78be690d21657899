"""Helpers for the production tests: the environment of a production process, running the
bin/ command lines, and a client that reaches gunicorn the way a TLS-terminating proxy would."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent

# What a developer's or CI's environment may carry that a production process must not inherit
# (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the rest of the run).
_NOT_INHERITED = {
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CELERY_TASK_ALWAYS_EAGER",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
}


def production_env(var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment README's "Running in production" asks for, with a fresh secret.
    DEBUG is left unset: the bin/ command lines turn it off themselves."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED and not k.startswith("RC_SETTING_")}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        VAR_DIR=str(var_dir),
        # The interpreter running the tests, for bin/env.sh (which would pick .venv's anyway).
        PYTHON=sys.executable,
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="reflexclinic.settings",
    )
    env.update(settings)
    return env


def run(command: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """A command from the project root, its output captured; `bin/...` names a production command line."""
    if command[0].startswith("bin/"):
        command = [str(BASE_DIR / command[0]), *command[1:]]
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)


@dataclass
class Response:
    status: int
    headers: Message
    text: str


class ProxiedBrowser:
    """Requests to gunicorn on loopback as the reverse proxy passes a browser's HTTPS requests
    on: with X-Forwarded-Proto: https, the browser's cookies (Secure ones included, the
    browser saw HTTPS) and, on a form post, the Origin header a browser sends."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, proxied: bool = True) -> Response:
        headers = {"X-Forwarded-Proto": "https"} if proxied else {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(response.status, response.headers, text)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict) -> Response:
        """Post a form as a browser would: with the CSRF token of the page it came from."""
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {path} ({page.status})"
        return self.request("POST", path, form={"csrfmiddlewaretoken": token.group(1), **data})
