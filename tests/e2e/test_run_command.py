"""`pledgeflow run` as an operator starts it: on ports and PostgreSQL databases of its own, beside
any other stack, and stopped with Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.devstack import free_port, port_in_use
from tests.conftest import MakeDatabase

pytestmark = pytest.mark.broker

PLEDGEFLOW = Path(sys.executable).with_name("pledgeflow")
DATABASES = ("registry", "valuation", "credit", "console")


async def test_a_second_stack_runs_on_its_own_ports_and_postgresql(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    ports = {name: free_port() for name in ("broker", *DATABASES)}
    urls = {name: await make_database() for name in DATABASES}
    argv = ["run", "--data-dir", str(tmp_path)]
    argv += [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]
    argv += [arg for name, url in urls.items() for arg in (f"--{name}-database", url)]
    process = await asyncio.create_subprocess_exec(
        str(PLEDGEFLOW), *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    said: list[str] = []
    try:
        async with asyncio.timeout(180):
            while not said or "Ctrl-C stops everything" not in said[-1]:
                line = (await process.stdout.readline()).decode()
                assert line, (await process.stderr.read()).decode()
                said.append(line)
        assert f"Kafka-protocol broker  127.0.0.1:{ports['broker']}" in said[0]
        async with httpx.AsyncClient(timeout=5) as client:
            for name in DATABASES:
                ready = await client.get(f"http://127.0.0.1:{ports[name]}/readyz")
                assert ready.status_code == 200, (name, ready.text)
        for url in urls.values():
            connection = await asyncpg.connect(url.replace("+asyncpg", ""))
            try:
                assert await connection.fetchval("SELECT count(*) FROM alembic_version") == 1
            finally:
                await connection.close()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0, (await process.stderr.read()).decode()
    assert not any(port_in_use(port) for port in ports.values())
    assert not (tmp_path / "registry.db").exists()
