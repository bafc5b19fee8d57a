"""`pledgeflow`, the operator's command line: one module per command group.

Each module holds a `CommandGroup` (a `typer.Typer`) named `app` whose commands are thin:
they read options and the environment, call the library (`shared.ops`, `shared.devstack`,
`shared.migrations`, ...), and show the result as a table, or JSON with `--json`. A failure
is raised as `OperatorError` (what failed, what to do, an exit code from `ExitCode`).

A new group is one module here and one entry in `GROUPS` (`shared/cli/app.py`):

    app = CommandGroup(name="ledger", help="...", rich_help_panel="Operate the running system")

    @app.command()
    def verify(ctx: typer.Context, as_json: JsonOption = False, debug: DebugOption = False):
        settings = options(ctx, as_json=as_json, debug=debug)
        url = database_url("credit")               # as the service reads it
        with live_count("verifying the ledger", "entries") as count:
            found = asyncio.run(verify_ledger(url, on_progress=count))
        ...

Import libraries inside the command, not at the top of the module, so that help and shell
completion stay quick.
"""
