"""`pledgeflow recovery republish|rebuild-register`: recovering from a broker that lost records."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime
from typing import Annotated

import typer

from shared.cli.common import (
    CommandGroup,
    DebugOption,
    ExitCode,
    JsonOption,
    OperatorError,
    note,
    options,
    print_json,
    unreachable,
)

app = CommandGroup(
    name="recovery",
    help="After the broker lost records: publish the outboxes again, rebuild read models. "
    "The recovery runbook in the README says in which order.",
    rich_help_panel="Operate",
)

SERVICES = ("registry", "valuation", "credit", "console")
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        show_default=False,
        help="The service's database; default: its PLEDGEFLOW_<SERVICE>_DATABASE_URL, else its "
        "local SQLite file.",
    ),
]


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter("an ISO 8601 moment, e.g. 2026-05-01T08:00:00+08:00") from exc
    if moment.tzinfo is None:
        raise typer.BadParameter("give the moment with its zone, e.g. +08:00 or Z")
    return moment


@app.command()
def republish(
    ctx: typer.Context,
    service: Annotated[
        str, typer.Argument(metavar="SERVICE", help=f"Whose outbox: {', '.join(SERVICES)}.")
    ],
    since: Annotated[
        str,
        typer.Option(
            metavar="MOMENT",
            help="Everything the outbox published at or after this moment (ISO 8601 with its "
            "zone) goes again.",
        ),
    ],
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Publish again what a service's outbox published since a moment, in order per key; the
    running service sends them within a second and consumers skip those they had handled."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from shared.migrations import database_url_of
    from shared.ops import republish_report
    from shared.recovery import republish_database

    settings = options(ctx, as_json=as_json, debug=debug)
    if service not in SERVICES:
        raise OperatorError(f"no service {service!r}", f"name one of {', '.join(SERVICES)}")
    moment = _moment(since)
    url = database_url or database_url_of(service)
    try:
        done = asyncio.run(republish_database(url, service, moment))
    except (OSError, OperationalError, DBAPIError) as exc:
        raise unreachable(
            f"cannot reach {service}'s database at {url} ({exc})",
            f"give it with --database-url or PLEDGEFLOW_{service.upper()}_DATABASE_URL",
        ) from exc
    report = republish_report(service, moment, done)
    if settings.json:
        print_json({"service": service, "since": moment, "rows": done.rows, "report": report})
    else:
        typer.echo(report)


@app.command("rebuild-register")
def rebuild_register(
    ctx: typer.Context,
    database_url: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Rebuild valuation's read model of the register from the compacted rights topic. Older
    versions are ignored, so it is safe while valuation runs."""
    settings = options(ctx, debug=debug)
    command = [
        sys.executable,
        "-m",
        "services.valuation.entrypoints.rebuild",
        "--bootstrap",
        settings.bootstrap,
    ]
    if database_url:
        command += ["--database-url", database_url]
    # Valuation's own entry point: the command line knows no service's code.
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise OperatorError(
            "the rebuild failed (its log is above)",
            "check that the broker and valuation's database can be reached",
            ExitCode.FAILED,
        )
    note("valuation's register read model is rebuilt")
