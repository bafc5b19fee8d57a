"""Alembic plumbing: one migration history per service, applied by a separate step."""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

SERVICES = ("registry", "valuation", "credit")
# Every deployable with a database of its own: the services and the console.
DATABASES = (*SERVICES, "console")
# The PostgreSQL advisory lock held while a database is migrated.
MIGRATION_LOCK = 0x706C6466  # "pldf"


def alembic_config(service: str, database_url: str) -> Config:
    """An Alembic configuration for a service's migrations against `database_url`."""
    package = importlib.import_module(f"services.{service}")
    assert package.__file__ is not None
    config = Config()
    config.set_main_option("script_location", str(Path(package.__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Bring a service's database to `revision`."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, database_url), revision)


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
            # Replicas starting together (each migrating before it serves) take turns: the
            # first migrates, the others then find the database at head.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
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
    """`python -m shared.migrations SERVICE [SERVICE...]`: upgrade using each service's settings."""
    parser = argparse.ArgumentParser(description="Apply database migrations")
    parser.add_argument("services", nargs="+", choices=DATABASES)
    args = parser.parse_args()
    for service in args.services:
        settings_module = importlib.import_module(f"services.{service}.settings")
        settings_class = next(
            getattr(settings_module, name)
            for name in dir(settings_module)
            if name.endswith("Settings") and name != "ServiceSettings"
        )
        upgrade(service, settings_class().database_url)
        print(f"{service}: database at head")


if __name__ == "__main__":
    main()
