"""Real processes for the fault tests, the production smoke test and the benchmark.

`ProcessGroup` runs any command that way (the smoke test's web server, worker and beat).

`WorkerProcess` runs `celery -A reflexclinic worker --pool=prefork` as a subprocess in
its own process group, so a test can SIGKILL the whole worker (parent and pool children)
at once, as a crashed machine would. `PrivateRedis` runs a throwaway `redis-server` on a
free port with no persistence, so a test can stop and restart a broker without touching
the machine's shared Redis. Every wait is bounded; `stop()` always ends in SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent


def database_url(settings_dict: dict) -> str:
    """DATABASE_URL for another process to reach the database this process uses
    (for tests: the test database pytest-django created)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def process_env(*, database_url: str, redis_url: str, email_url: str, settings: dict | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_SETTING_")}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        EMAIL_URL=email_url,
        DJANGO_SETTINGS_MODULE="tests.worker_settings",
        PYTHONPATH=str(BASE_DIR),
        PYTHONUNBUFFERED="1",
    )
    for name, value in (settings or {}).items():
        env[f"RC_SETTING_{name}"] = json.dumps(value)
    return env


def group_pids(pgid: int) -> list[int]:
    """Every live process in a process group (the worker parent and its pool children)."""
    return scan_processes(pgid)[0]


def scan_processes(pgid: int | None = None, named: str = "postgres") -> tuple[list[int], list[int]]:
    """One pass over /proc: the live processes of the group `pgid`, and those called `named`
    (by default PostgreSQL's server processes: its backends, writers and checkpointer)."""
    group, called = [], []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (name) state ppid pgrp ...": the name may contain spaces, so split at the last ')'.
        name, fields = stat.split("(", 1)[1].rsplit(")", 1)
        fields = fields.split()
        if fields[0] == "Z":
            continue
        if int(fields[2]) == pgid:
            group.append(int(entry.name))
        if name == named:
            called.append(int(entry.name))
    return group, called


def proc_kib_sum(pids: list[int], filename: str, key: str) -> int:
    """Bytes: the sum over `pids` of a kB line such as "VmRSS:" in /proc/<pid>/<filename>."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/{filename}").read_text().splitlines():
                if line.startswith(key):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def rss_bytes(pids: list[int]) -> int:
    return proc_kib_sum(pids, "status", "VmRSS:")


def pss_bytes(pids: list[int]) -> int:
    """Proportional set size: shared pages split between the processes that share them."""
    return proc_kib_sum(pids, "smaps_rollup", "Pss:")


class ProcessGroup:
    """A command run in its own process group, its output in a log file; `stop()` ends the
    whole group (a parent and its children) and always ends in SIGKILL."""

    def __init__(self, command: list[str], *, env: dict[str, str], name: str, cwd: Path = BASE_DIR) -> None:
        self.command = command
        self.env = env
        self.name = name
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])

    def start(self, *, ready: Callable[[], bool], timeout: float = 30) -> ProcessGroup:
        """Start, then wait until `ready()` (bounded); a process that exits first is an error."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready within {timeout} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def pids(self) -> list[int]:
        return group_pids(self.proc.pid) if self.proc else []

    def kill(self) -> None:
        """SIGKILL the parent and every child at once: nothing gets to clean up."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._wait_group_gone(5)

    def stop(self, timeout: float = 10) -> None:
        """Warm shutdown if it comes within `timeout`, then SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        self.kill()

    def _wait_group_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.05)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class WorkerProcess(ProcessGroup):
    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        email_url: str,
        concurrency: int = 2,
        settings: dict | None = None,
        name: str = "faults",
        code_dir: Path = BASE_DIR,
    ) -> None:
        # code_dir: another checkout's code (the delivery benchmark's --compare-with).
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "reflexclinic",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "-Q",
            "celery",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-n",
            f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        env = process_env(database_url=database_url, redis_url=redis_url, email_url=email_url, settings=settings)
        env["PYTHONPATH"] = str(code_dir)
        super().__init__(command, env=env, name=f"celery-{name}", cwd=code_dir)
        self.concurrency = concurrency
        self.peak_rss = 0

    def start(self, timeout: float = 30) -> WorkerProcess:
        super().start(ready=lambda: b" ready." in self.log_path.read_bytes(), timeout=timeout)
        return self

    def sample_rss(self) -> int:
        rss = rss_bytes(self.pids())
        self.peak_rss = max(self.peak_rss, rss)
        return rss


class PrivateRedis:
    """A redis-server of our own on a free port: no snapshot, no AOF, so a restart empties it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.dir = tempfile.mkdtemp(prefix="redis-faults-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> PrivateRedis:
        import redis

        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def queued(self, queue: str) -> int:
        import redis

        return redis.Redis(port=self.port, socket_connect_timeout=1).llen(queue)

    def stop(self) -> None:
        """SIGKILL: a crash, not a shutdown; with no persistence every queued task is gone."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.proc = None


def manage(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `manage.py <args>` in a fresh process with `env` (e.g. one dispatch pass)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
