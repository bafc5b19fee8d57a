"""The `pledgeflow` command line as tests run it: in a thread (it runs its own event loop),
with its exit code, stdout and stderr apart."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner, Result

from shared.cli.app import app


async def pledgeflow(*args: str, env: dict[str, str] | None = None) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
