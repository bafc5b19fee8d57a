"""The console beside a local stack: its migrations, its process, and how to sign in.

Kept apart from the stack itself (`shared.devstack`): it starts one more process once the
services run, pointed at their URLs and at the same broker, and signs staff credentials with
the development issuer the services trust.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from shared.migrations import upgrade

if TYPE_CHECKING:
    from shared.devstack import LocalStack

ROOT = Path(__file__).resolve().parent.parent

CONSOLE_PORT = 8004
DEVELOPMENT_PASSWORD = "pledgeflow-dev"
DEVELOPMENT_ACCOUNTS = (
    ("examiner-li", "examiner"),
    ("supervisor-wang", "supervisor"),
    ("appraiser-sun", "appraiser"),
    ("officer-zhou", "credit officer"),
    ("operator-liu", "operator"),
    ("admin-chen", "administrator"),
)


@dataclass
class LocalConsole:
    """The console process of a local stack: the broker and services it reads and calls."""

    data_dir: Path
    service_urls: Mapping[str, str]
    broker: Mapping[str, str]
    port: int = CONSOLE_PORT
    database_url: str | None = None
    log_level: str = "INFO"
    refresh_seconds: float = 5.0
    preexec_fn: Callable[[], None] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def beside(cls, stack: LocalStack, **options: object) -> LocalConsole:
        """The console of `stack`: its services' URLs, and its broker read as they read it."""
        registry = "PLEDGEFLOW_REGISTRY_"
        broker = {
            key.removeprefix(registry): value
            for key, value in stack.environment("registry").items()
            if key.startswith(registry + "KAFKA_")
        }
        urls = {service: stack.url(service) for service in ("registry", "valuation", "credit")}
        return cls(
            data_dir=stack.config.data_dir,
            service_urls=urls,
            broker=broker,
            log_level=stack.config.log_level,
            **options,  # type: ignore[arg-type]
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        prefix = "PLEDGEFLOW_CONSOLE_"
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            **{prefix + key: value for key, value in self.broker.items()},
            **{prefix + f"{s.upper()}_URL": url for s, url in self.service_urls.items()},
            prefix + "DATABASE_URL": self._database_url(),
            prefix + "HTTP_PORT": str(self.port),
            prefix + "LOG_LEVEL": self.log_level,
            prefix + "REFRESH_SECONDS": str(self.refresh_seconds),
        }

    def _database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'console.db'}"

    def start(self, timeout: float = 60) -> None:
        """Migrate its database, start it, and wait until it is ready."""
        upgrade("console", self._database_url())
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.console"],
            cwd=ROOT,
            env=self.environment(),
            stdout=(logs / "console.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=self.preexec_fn,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the console exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"the console is not ready after {timeout}s")

    def stop(self, timeout: float = 10) -> None:
        """Stop the console (SIGTERM, then SIGKILL after `timeout`)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def sign_in_help(self) -> str:
        """What the run command prints: where the console is and how to sign in locally."""
        accounts = ", ".join(f"{staff} ({role})" for staff, role in DEVELOPMENT_ACCOUNTS)
        return (
            f"console                {self.url}   sign in as {accounts}; "
            f"password {DEVELOPMENT_PASSWORD} (development accounts, config/staff.yaml)"
        )


def fresh(data_dir: Path) -> None:
    """Delete the console's SQLite file (`--fresh`)."""
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"console.db{suffix}").unlink(missing_ok=True)
