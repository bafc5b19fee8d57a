"""The console beside a local stack: its migrations, its process, and how to sign in.

Kept apart from the stack itself (`shared.devstack`): it starts one more process once the
services run, pointed at their URLs and at the same broker, and signs staff credentials with
the development issuer the services trust.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.devstack import (
    EMBEDDED_FETCH_MAX_WAIT_MS,
    EMBEDDED_HEARTBEAT_INTERVAL_MS,
    EMBEDDED_SESSION_TIMEOUT_MS,
    ROOT,
    LocalStack,
    _die_with_parent,
    _terminate,
)
from shared.migrations import upgrade

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
    """The console process of a local stack."""

    stack: LocalStack
    port: int = CONSOLE_PORT
    database_url: str | None = None
    refresh_seconds: float = 5.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        prefix = "PLEDGEFLOW_CONSOLE_"
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            prefix + "DATABASE_URL": self._database_url(),
            prefix + "KAFKA_BOOTSTRAP_SERVERS": self.stack.bootstrap,
            prefix + "KAFKA_ENABLE_IDEMPOTENCE": "false",
            prefix + "KAFKA_SESSION_TIMEOUT_MS": str(EMBEDDED_SESSION_TIMEOUT_MS),
            prefix + "KAFKA_HEARTBEAT_INTERVAL_MS": str(EMBEDDED_HEARTBEAT_INTERVAL_MS),
            prefix + "KAFKA_FETCH_MAX_WAIT_MS": str(EMBEDDED_FETCH_MAX_WAIT_MS),
            prefix + "HTTP_PORT": str(self.port),
            prefix + "LOG_LEVEL": self.stack.config.log_level,
            prefix + "REGISTRY_URL": self.stack.url("registry"),
            prefix + "VALUATION_URL": self.stack.url("valuation"),
            prefix + "CREDIT_URL": self.stack.url("credit"),
            prefix + "REFRESH_SECONDS": str(self.refresh_seconds),
        }

    def _database_url(self) -> str:
        return self.database_url or (
            f"sqlite+aiosqlite:///{self.stack.config.data_dir / 'console.db'}"
        )

    def start(self, timeout: float = 60) -> None:
        """Migrate its database, start it, and wait until it is ready."""
        upgrade("console", self._database_url())
        logs = self.stack.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.console"],
            cwd=ROOT,
            env=self.environment(),
            stdout=(logs / "console.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
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

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None

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
