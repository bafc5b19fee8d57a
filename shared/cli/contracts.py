"""`pledgeflow contracts check|write`: the published event contracts in `contracts/`."""

from __future__ import annotations

import typer

from shared.cli.common import CommandGroup, DebugOption, ExitCode, JsonOption, options, print_json

app = CommandGroup(
    name="contracts",
    help="The event contracts (JSON Schema per event, AsyncAPI), generated from the code.",
    rich_help_panel="Run and deploy",
)


def _report(problems: list[str], as_json: bool, fine: str) -> None:
    if as_json:
        print_json(problems)
    else:
        for line in problems:
            typer.echo(line)
        if not problems:
            typer.echo(fine)
    if problems:
        raise typer.Exit(int(ExitCode.FAILED))


@app.command()
def check(ctx: typer.Context, as_json: JsonOption = False, debug: DebugOption = False) -> None:
    """Report drift between the code and contracts/, and incompatible schema changes.

    Exits 1 when there is any.
    """
    from shared import contracts

    settings = options(ctx, as_json=as_json, debug=debug)
    _report(contracts.problems(), settings.json, "contracts/ matches the code")


@app.command()
def write(ctx: typer.Context, as_json: JsonOption = False, debug: DebugOption = False) -> None:
    """Regenerate contracts/; refuses (exit 1) when a published schema would change
    incompatibly: publish a new schema version instead."""
    from shared import contracts

    settings = options(ctx, as_json=as_json, debug=debug)
    _report(contracts.write(), settings.json, "contracts/ written")
