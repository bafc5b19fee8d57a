"""Alembic plumbing: one migration history per service, applied by a separate step.

On PostgreSQL an upgrade holds a transaction-scoped advisory lock on its database while it
runs, so replicas that upgrade at once (several starting together) queue: the first applies the
migrations, the others then find the database at head and change nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, make_url, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

SERVICES = ("registry", "valuation", "credit")
# Every deployable with a database of its own: the services and the console.
DATABASES = (*SERVICES, "console")
# Key of the advisory lock an upgrade holds (locks are per database, so one key serves all).
MIGRATION_LOCK = 0x706C65646765  # "pledge"


def alembic_config(service: str, database_url: str) -> Config:
    """An Alembic configuration for a service's migrations against `database_url`."""
    package = importlib.import_module(f"services.{service}")
    assert package.__file__ is not None
    config = Config()
    config.set_main_option("script_location", str(Path(package.__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


class DatabaseUnreachable(Exception):
    """A service's database cannot be connected to (or its SQLite file cannot be made)."""

    def __init__(self, service: str, database_url: str, reason: str) -> None:
        self.service = service
        self.database = make_url(database_url).render_as_string(hide_password=True)
        self.reason = reason
        super().__init__(f"cannot reach the {service} database at {self.database}: {reason}")


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Bring a service's database to `revision`; `DatabaseUnreachable` if it cannot connect."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnreachable(service, database_url, str(exc)) from exc
    else:
        asyncio.run(_reach(service, database_url))
    command.upgrade(alembic_config(service, database_url), revision)


async def _reach(service: str, database_url: str, timeout: float = 10) -> None:
    engine = create_async_engine(
        database_url, poolclass=pool.NullPool, connect_args={"timeout": timeout}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseUnreachable(service, database_url, reason) from exc
    finally:
        await engine.dispose()


def settings_of(service: str) -> Any:
    """A service's (or the console's) settings, read from its environment as it reads them."""
    settings_module = importlib.import_module(f"services.{service}.settings")
    own = settings_module.__name__
    settings_class = next(
        value
        for name, value in vars(settings_module).items()
        if name.endswith("Settings") and getattr(value, "__module__", "") == own
    )
    return settings_class()


def database_url_of(service: str) -> str:
    """The database URL a service (or the console) reads from its settings and environment."""
    url: str = settings_of(service).database_url
    return url


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's `env.py`: run migrations online on an async engine."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, target_metadata)
    await engine.dispose()


def _migrate(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


def sqlite_decimals_as_units(
    columns: Mapping[str, Sequence[str]], scale: int = 2, *, back: bool = False
) -> None:
    """On SQLite, rewrite decimal columns as whole numbers of their last unit (`ExactNumeric`).

    `back=True` undoes it. Other databases keep their NUMERIC columns as they are.
    """
    if op.get_bind().dialect.name != "sqlite":
        return
    factor = 10**scale
    for table, names in columns.items():
        for name in names:
            value = f"{name} / {factor}.0" if back else f"CAST(ROUND({name} * {factor}) AS INTEGER)"
            op.execute(f"UPDATE {table} SET {name} = {value} WHERE {name} IS NOT NULL")


def main() -> None:
    """`python -m shared.migrations SERVICE [SERVICE...]`: upgrade using each service's settings.

    The migration step of the container image; operators use `pledgeflow migrate`.
    """
    parser = argparse.ArgumentParser(description="Apply database migrations")
    parser.add_argument("services", nargs="+", choices=DATABASES)
    args = parser.parse_args()
    for service in args.services:
        upgrade(service, database_url_of(service))
        print(f"{service}: database at head")


if __name__ == "__main__":
    main()
