"""Rebuild valuation's read model of the register from the registry's compacted rights topic.

`python -m services.valuation.entrypoints.rebuild --bootstrap HOST:PORT` reads every record of
`pledgeflow.registry.rights` from the beginning (the topic is compacted by right number, so it
holds at least the latest record of every right) and hands each to valuation's message bus as
the rights consumer would. A right's newer version replaces the stored one and an older or
equal one is ignored, so the command may run while the service runs, as often as needed. The
database is `--database-url`, else `PLEDGEFLOW_VALUATION_DATABASE_URL`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.valuation.adapters.orm import metadata, rights
from services.valuation.app import valuation_deps
from services.valuation.bootstrap import bootstrap
from services.valuation.entrypoints.consumers import VALUATION_CONSUMERS
from services.valuation.service_layer.unit_of_work import SqlValuationUnitOfWork
from services.valuation.settings import ValuationSettings
from shared.db import create_engine, session_factory
from shared.envelope import Envelope, MalformedEvent
from shared.kernel.errors import DomainError
from shared.ops import read_topics
from shared.topics import REGISTRY_RIGHTS
from shared.uow import Storage

log = logging.getLogger(__name__)

REACTIONS = next(spec.reactions for spec in VALUATION_CONSUMERS if REGISTRY_RIGHTS in spec.topics)


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild read and changed."""

    records: int
    refused: int
    rights_before: int
    rights_after: int


async def rebuild_register(bootstrap_servers: str, settings: ValuationSettings) -> Rebuilt:
    """Feed every record of the rights topic to valuation's register read model."""
    records = await read_topics(bootstrap_servers, [REGISTRY_RIGHTS])
    engine = create_engine(settings.database_url)
    try:
        storage = Storage(
            sessions=session_factory(engine),
            outbox=metadata.tables["outbox"],
            processed=metadata.tables["processed_messages"],
            producer="valuation",
        )
        messages = bootstrap(lambda: SqlValuationUnitOfWork(storage), valuation_deps(settings))
        before = await _count_rights(engine)
        refused = 0
        for record in records:
            try:
                envelope = Envelope.from_json(record.value)
                reaction = REACTIONS.get(envelope.event_type)
                command = reaction.to_command(envelope) if reaction else None
                if command is not None:
                    await messages.handle(command)
            except (MalformedEvent, DomainError) as exc:
                refused += 1
                log.warning(
                    "register record refused",
                    extra={"partition": record.partition, "offset": record.offset, "error": exc},
                )
        return Rebuilt(len(records), refused, before, await _count_rights(engine))
    finally:
        await engine.dispose()


async def _count_rights(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(rights)) or 0)


def main(argv: list[str] | None = None) -> int:
    """Rebuild and say what changed."""
    parser = argparse.ArgumentParser(prog="python -m services.valuation.entrypoints.rebuild")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--database-url", help="default: $PLEDGEFLOW_VALUATION_DATABASE_URL")
    args = parser.parse_args(argv)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    settings = ValuationSettings(**overrides)
    done = asyncio.run(rebuild_register(args.bootstrap, settings))
    print(
        f"read {done.records} register records ({done.refused} refused); "
        f"rights known: {done.rights_before} before, {done.rights_after} after"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
