"""`pledgeflow calendar load|show`: the official working-day schedule, at the registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from shared.cli.common import (
    DEFAULT_REGISTRY_URL,
    TOKEN_VARIABLE,
    CommandGroup,
    DebugOption,
    JsonOption,
    OperatorError,
    at_service,
    note,
    options,
    print_fields,
    print_json,
)

app = CommandGroup(
    name="calendar",
    help="The official working-day calendar: enter a year's schedule, show the one in force.",
    rich_help_panel="Registry office",
)

REGISTRY_VARIABLES = ["PLEDGEFLOW_REGISTRY_URL", "PLEDGEFLOW_CONSOLE_REGISTRY_URL"]

YearArgument = Annotated[
    int, typer.Argument(min=1949, max=2200, metavar="YEAR", help="The calendar year.")
]
RegistryOption = Annotated[
    str,
    typer.Option(
        "--registry",
        envvar=REGISTRY_VARIABLES,
        show_envvar=True,
        metavar="URL",
        help="The registry's base URL.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_VARIABLE,
        show_envvar=True,
        show_default=False,
        help="A staff member's bearer credential for the registry.",
    ),
]

T = TypeVar("T")


def at_registry(
    registry: str, token: str | None, roles: tuple[str, ...], call: Callable[[dict[str, str]], T]
) -> T:
    """Call the registry with the credential; failures as one line an operator can act on."""
    return at_service(
        "registry", registry, f"--registry or {REGISTRY_VARIABLES[0]}", token, roles, call
    )


@app.command()
def load(
    ctx: typer.Context,
    year: YearArgument,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            metavar="FILE",
            readable=True,
            help="The year's schedule, YAML or JSON: notice, holidays, makeup_workdays.",
        ),
    ],
    registry: RegistryOption = DEFAULT_REGISTRY_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Enter (or amend) a year's official schedule at the registry.

    Needs a supervisor's or administrator's credential. Every service that counts working
    days receives it within seconds; entering the year again makes a new version.
    """
    from shared import ops

    settings = options(ctx, as_json=as_json, debug=debug)
    try:
        ops.calendar_body(year, file)
    except ops.CalendarLoadFailed as exc:
        raise OperatorError(str(exc), "fix the file; nothing was sent") from exc
    loaded = at_registry(
        registry,
        token,
        ("supervisor", "administrator"),
        lambda headers: ops.load_calendar(registry, year, file, headers),
    )
    if settings.json:
        print_json(loaded)
        return
    _show(loaded)
    note(f"entered at {registry}; the services that count working days have it within seconds")


@app.command()
def show(
    ctx: typer.Context,
    year: YearArgument,
    registry: RegistryOption = DEFAULT_REGISTRY_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """The schedule the registry counts working days on for a year, and where it comes from.

    Needs an examiner's, supervisor's or administrator's credential.
    """
    from shared import ops

    settings = options(ctx, as_json=as_json, debug=debug)
    schedule = at_registry(
        registry,
        token,
        ("supervisor", "examiner", "administrator"),
        lambda headers: ops.calendar_year(registry, year, headers),
    )
    if settings.json:
        print_json(schedule)
        return
    _show(schedule)


def _show(schedule: dict[str, Any]) -> None:
    notice = schedule.get("notice") or {}
    published = (notice.get("reference"), notice.get("published_on"))
    entered = (schedule.get("entered_by"), schedule.get("entered_at"))
    print_fields(
        f"working-day calendar {schedule['year']}",
        [
            ("source", schedule["source"] + (" (provisional)" if schedule["provisional"] else "")),
            ("version", schedule["version"]),
            ("notice", " ".join(str(v) for v in published if v)),
            ("entered by", " ".join(str(v) for v in entered if v)),
            ("weekdays off", ", ".join(schedule["non_working_weekdays"])),
            ("make-up working days", ", ".join(schedule["working_weekend_days"])),
        ],
    )
