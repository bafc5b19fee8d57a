"""`pledgeflow`, the operator's command line: one module per command group.

Each module holds a `CommandGroup` (a `typer.Typer`) named `app` whose commands are thin:
they read options and the environment, call the library (`shared.ops`, `shared.devstack`,
`shared.migrations`, ...), and show the result as a table, or JSON with `--json`. A failure
is raised as `OperatorError` (what failed, what to do, an exit code). A new group is one
module here and one `app.add_typer(...)` line in `shared/cli/app.py`.
"""
