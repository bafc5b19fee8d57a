"""The root `pledgeflow` command: global options, and one `add_typer` line per command group."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from shared.cli import calendar, contracts, credentials, events, records, recovery, stack
from shared.cli.common import BROKER_VARIABLES, DEFAULT_BOOTSTRAP, Globals

EXIT_CODES = (
    "Exit codes: 0 done; 1 the work failed or found a problem (refused, not found, out of "
    "date); 2 usage (an unknown command or option, a bad value or setting); 3 the broker, a "
    "service or a database cannot be reached; 4 no credential, or the service refused it; "
    "130 interrupted."
)

app = typer.Typer(
    name="pledgeflow",
    help="Run and operate pledgeflow: IP pledge financing over Kafka.\n\n"
    "Options go before or after the command; settings come from the same PLEDGEFLOW_* "
    "variables the services read.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# In the order of the help's panels; a group without a name adds its commands at the top.
GROUPS = (
    stack.app,
    contracts.app,
    events.app,
    records.ledger,
    records.reconciliation,
    recovery.app,
    calendar.app,
    credentials.app,
)
for group in GROUPS:
    app.add_typer(group, rich_help_panel=group.rich_help_panel)


def _version(shown: bool) -> None:
    if shown:
        try:
            typer.echo(f"pledgeflow {version('pledgeflow')}")
        except PackageNotFoundError:
            typer.echo("pledgeflow (not installed)")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    bootstrap: Annotated[
        str,
        typer.Option(
            envvar=BROKER_VARIABLES,
            show_envvar=True,
            metavar="HOST:PORT",
            help="The broker's bootstrap servers.",
        ),
    ] = DEFAULT_BOOTSTRAP,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="PLEDGEFLOW_DEBUG",
            show_envvar=True,
            help="Show the traceback when a command fails.",
        ),
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and stop."
        ),
    ] = False,
) -> None:
    ctx.obj = Globals(bootstrap=bootstrap, debug=debug, json=as_json)


def main() -> None:
    """The `pledgeflow` console script."""
    app(prog_name="pledgeflow")
