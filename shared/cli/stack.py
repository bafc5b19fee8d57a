"""`pledgeflow run` and `pledgeflow migrate`: the local stack, and databases at their latest
migration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shared.cli.common import (
    CommandGroup,
    DebugOption,
    JsonOption,
    OperatorError,
    database_url,
    options,
    print_json,
    unreachable,
)

PANEL = "Run and deploy"
app = CommandGroup(rich_help_panel=PANEL)

# Named here so that help and completion need not load the migrations; a test holds it equal
# to shared.migrations.DATABASES.
DATABASES = ("registry", "valuation", "credit", "console")


def _port(name: str) -> object:
    return typer.Option(
        f"--{name}-port", min=1, max=65535, metavar="PORT", help=f"The {name}'s port."
    )


def _database(name: str) -> object:
    return typer.Option(
        f"--{name}-database",
        metavar="URL",
        show_default=False,
        help=f"The {name}'s database, e.g. postgresql+asyncpg://postgres@127.0.0.1/{name} "
        f"(default: SQLite in the data folder).",
    )


@app.command()
def run(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            metavar="DIR",
            show_default=False,
            help="Where the SQLite files and the logs go (default: .data in the project).",
        ),
    ] = None,
    broker_port: Annotated[int, _port("broker")] = 9092,
    registry_port: Annotated[int, _port("registry")] = 8001,
    valuation_port: Annotated[int, _port("valuation")] = 8002,
    credit_port: Annotated[int, _port("credit")] = 8003,
    console_port: Annotated[int, _port("console")] = 8004,
    registry_database: Annotated[str | None, _database("registry")] = None,
    valuation_database: Annotated[str | None, _database("valuation")] = None,
    credit_database: Annotated[str | None, _database("credit")] = None,
    console_database: Annotated[str | None, _database("console")] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the SQLite files first: start empty.")
    ] = False,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="The services' log level.")
    ] = "INFO",
    debug: DebugOption = False,
) -> None:
    """Run the whole system locally until Ctrl-C: broker, services and console.

    The broker is in memory; each service migrates and keeps its database (SQLite files in
    the data folder unless given). With other ports and another data folder, a second stack
    runs beside the first.
    """
    from shared.devstack import PortsTaken, StackConfig, StackStopped, run_until_stopped
    from shared.migrations import DatabaseUnreachable

    options(ctx, debug=debug)
    databases = {
        service: url
        for service, url in {
            "registry": registry_database,
            "valuation": valuation_database,
            "credit": credit_database,
        }.items()
        if url
    }
    config = StackConfig(
        kafka_port=broker_port,
        ports={"registry": registry_port, "valuation": valuation_port, "credit": credit_port},
        database_urls=databases or None,
        log_level=log_level.upper(),
    )
    if data_dir is not None:
        config.data_dir = data_dir.resolve()
    try:
        run_until_stopped(
            config,
            console_port=console_port,
            console_database_url=console_database,
            start_fresh=fresh,
            say=typer.echo,
        )
    except PortsTaken as exc:
        options_named = " ".join(f"--{name}-port" for name in exc.taken)
        raise OperatorError(
            f"already in use: {exc} (another stack, perhaps)",
            f"stop it, or choose free ports with {options_named} and another --data-dir",
        ) from exc
    except DatabaseUnreachable as exc:
        raise unreachable(str(exc), f"check --{exc.service}-database") from exc
    except (StackStopped, RuntimeError, TimeoutError) as exc:
        raise OperatorError(str(exc), f"its log is in {config.data_dir / 'logs'}") from exc


@app.command()
def migrate(
    ctx: typer.Context,
    databases: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="DATABASE",
            help=f"Which databases: {', '.join(DATABASES)} (default: all).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Bring databases to their latest migration, each at the URL its service reads.

    The URL is PLEDGEFLOW_<SERVICE>_DATABASE_URL (e.g. PLEDGEFLOW_REGISTRY_DATABASE_URL),
    else the service's default SQLite file under .data/ in the current folder.
    """
    from shared.migrations import DatabaseUnreachable, upgrade

    settings = options(ctx, as_json=as_json, debug=debug)
    chosen = list(dict.fromkeys(databases or DATABASES))
    unknown = [name for name in chosen if name not in DATABASES]
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(unknown)}: not a database; choose from {', '.join(DATABASES)}"
        )
    done = []
    for service in chosen:
        variable = f"PLEDGEFLOW_{service.upper()}_DATABASE_URL"
        url = database_url(service)
        try:
            upgrade(service, url)
        except DatabaseUnreachable as exc:
            raise unreachable(str(exc), f"start it, or set {variable}") from exc
        done.append({"database": service, "url": _shown(url), "at": "head"})
        if not settings.json:
            typer.echo(f"{service}: database at head ({_shown(url)})")
    if settings.json:
        print_json(done)


def _shown(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
