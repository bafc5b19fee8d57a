"""Several replicas of each service on one machine: the local stack, with N processes a service.

Every replica of a service shares the service's database and consumer groups; each listens on
its own port. Used by the end-to-end test of replicas and by the idle-cost measurement
(`python -m bench.idle`), which also read each process's CPU time from /proc.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from shared.devstack import ROOT, LocalStack, StackConfig, _die_with_parent, _terminate, free_port
from shared.issuer import development_issuer
from shared.migrations import SERVICES, upgrade

# Seconds of CPU per clock tick in /proc/<pid>/stat (USER_HZ is 100 on Linux).
CLOCK_TICK = 0.01


class ReplicatedStack(LocalStack):
    """The broker (given) and `replicas` processes of each service, named `<service>-<n>`."""

    def __init__(
        self,
        config: StackConfig,
        broker_bootstrap: str,
        replicas: int = 2,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(config, broker_bootstrap=broker_bootstrap)
        self.replicas = replicas
        self.settings = dict(settings or {})
        self.ports = {
            f"{service}-{n}": config.ports[service] if n == 1 else free_port()
            for service in SERVICES
            for n in range(1, replicas + 1)
        }

    def names(self, service: str) -> list[str]:
        """The replicas of a service."""
        return [f"{service}-{n}" for n in range(1, self.replicas + 1)]

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> None:
        """Migrations, then every replica; returns once all are ready."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        development_issuer()
        for service in SERVICES:
            upgrade(service, self.config.database_url(service))
        for name in self.ports:
            self.start_replica(name)
        for name in self.ports:
            self.wait_replica(name)

    def start_replica(self, name: str) -> None:
        """Start one replica process (again, after it was killed)."""
        service = name.rsplit("-", 1)[0]
        prefix = f"PLEDGEFLOW_{service.upper()}_"
        environment = self.environment(service) | {prefix + "HTTP_PORT": str(self.ports[name])}
        environment |= {prefix + key: value for key, value in self.settings.items()}
        logs = self.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = (logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def wait_replica(self, name: str, timeout: float = 60) -> None:
        """Block until the replica answers `/readyz` with 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.replica_url(name) + "/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{name} not ready after {timeout}s")

    def kill(self, name: str) -> None:
        """SIGKILL a replica, as a crash would."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def freeze(self, name: str) -> None:
        """SIGSTOP a replica: it holds its connections but does nothing."""
        self.processes[name].send_signal(signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        """SIGCONT a frozen replica."""
        self.processes[name].send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop every replica (thawing any frozen one first)."""
        for name, process in list(self.processes.items()):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)
            _terminate(process)
            del self.processes[name]


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * CLOCK_TICK
