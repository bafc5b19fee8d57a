"""What every command group shares: exit codes, one-line errors, global options, output.

A command group is a `CommandGroup` (a `typer.Typer`) whose commands report failures by
raising `OperatorError` with what failed and what to do; the command class turns it into one
line on stderr and the documented exit code, or the traceback with `--debug`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from types import ModuleType
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_REGISTRY_URL = "http://127.0.0.1:8001"


class ExitCode(IntEnum):
    """What `pledgeflow` exits with; the README lists them for scripts."""

    OK = 0
    FAILED = 1  # the work failed or found a problem: refused, not found, out of date
    USAGE = 2  # unknown command or option, a bad value or setting
    UNREACHABLE = 3  # the broker, a service or a database cannot be reached
    CREDENTIAL = 4  # no credential, or the service refused it
    INTERRUPTED = 130  # Ctrl-C


class OperatorError(Exception):
    """A failure an operator can act on: what failed, and what to do about it."""

    def __init__(self, what: str, todo: str = "", code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo
        self.code = code

    def line(self) -> str:
        return f"error: {self.what}" + (f"; {self.todo}" if self.todo else "")


def unreachable(what: str, todo: str) -> OperatorError:
    return OperatorError(what, todo, ExitCode.UNREACHABLE)


BROKER_VARIABLES = [
    "PLEDGEFLOW_KAFKA_BOOTSTRAP_SERVERS",
    *(
        f"PLEDGEFLOW_{service}_KAFKA_BOOTSTRAP_SERVERS"
        for service in ("REGISTRY", "VALUATION", "CREDIT", "CONSOLE")
    ),
]


def broker_unreachable(bootstrap: str) -> OperatorError:
    return unreachable(
        f"cannot reach the broker at {bootstrap}",
        "start the local stack (pledgeflow run) or give the broker's address with --bootstrap "
        f"or {BROKER_VARIABLES[0]}",
    )


T = TypeVar("T")


def on_broker(bootstrap: str, work: Callable[[ModuleType], Coroutine[Any, Any, T]]) -> T:
    """Run `work(shared.ops)` against the broker; unreachable, it is one line and exit 3.

    The library is imported here, not with the command line, so help and completion are quick.
    """
    from aiokafka.errors import KafkaConnectionError

    from shared import ops

    try:
        return asyncio.run(work(ops))
    except KafkaConnectionError as exc:
        raise broker_unreachable(bootstrap) from exc


TOKEN_VARIABLE = "PLEDGEFLOW_TOKEN"


def at_service(
    service: str,
    url: str,
    url_hint: str,
    token: str | None,
    roles: tuple[str, ...],
    call: Callable[[dict[str, str]], T],
) -> T:
    """Call a service's internal API with a staff credential (`--token`/`PLEDGEFLOW_TOKEN`);
    no credential, a refused one, a service that cannot be reached or refuses the request is
    one line saying what to do. `url_hint` names the option and variable that set `url`."""
    import httpx

    from shared.ops import Refused

    issue = f'--token "$(pledgeflow credentials issue <your id> {roles[0]} --audience {service})"'
    needs = (
        ", ".join(f"{role}'s" for role in roles[:-1]) + " or " if len(roles) > 1 else ""
    ) + f"{roles[-1]}'s credential"
    if not (token or "").strip():
        raise OperatorError(
            f"no credential for the {service}, which needs a {needs}",
            f"set {TOKEN_VARIABLE} or pass {issue}",
            ExitCode.CREDENTIAL,
        )
    headers = {"Authorization": f"Bearer {(token or '').strip()}"}
    try:
        return call(headers)
    except (httpx.ConnectError, httpx.TimeoutException) as exc:
        raise unreachable(
            f"cannot reach the {service} at {url}",
            f"start the local stack (pledgeflow run) or give its URL with {url_hint}",
        ) from exc
    except Refused as exc:
        refused = (
            f"the {service} refused the credential in --token/{TOKEN_VARIABLE} "
            f"({exc.code}: {exc.detail})"
        )
        if exc.status == 401:
            raise OperatorError(
                refused, f"issue a new one for audience {service}: {issue}", ExitCode.CREDENTIAL
            ) from exc
        if exc.status == 403:
            todo = f"this needs a {needs}: {issue}"
            raise OperatorError(refused, todo, ExitCode.CREDENTIAL) from exc
        answered = f"the {service} answered {exc.status} {exc.code}: {exc.detail}"
        raise OperatorError(answered) from exc


@dataclass
class Globals:
    """Options every command accepts, before or after its name, and from the environment."""

    bootstrap: str = DEFAULT_BOOTSTRAP
    debug: bool = False
    json: bool = False

    @classmethod
    def from_environment(cls) -> Globals:
        bootstrap = next(
            (os.environ[name] for name in BROKER_VARIABLES if os.environ.get(name)),
            DEFAULT_BOOTSTRAP,
        )
        return cls(bootstrap=bootstrap, debug=_flag(os.environ.get("PLEDGEFLOW_DEBUG")))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def options(
    ctx: typer.Context,
    *,
    bootstrap: str | None = None,
    as_json: bool = False,
    debug: bool = False,
) -> Globals:
    """The global options as this command sees them: its own first, then the root's."""
    root = ctx.find_root()
    if not isinstance(root.obj, Globals):
        root.obj = Globals.from_environment()
    merged: Globals = root.obj
    if bootstrap:
        merged.bootstrap = bootstrap
    merged.json = merged.json or as_json
    merged.debug = merged.debug or debug
    return merged


BootstrapOption = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        metavar="HOST:PORT",
        help=f"The broker (default ${BROKER_VARIABLES[0]}, a service's "
        f"PLEDGEFLOW_<SERVICE>_KAFKA_BOOTSTRAP_SERVERS, else {DEFAULT_BOOTSTRAP}).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show the traceback when the command fails.")
]


class OperatorCommand(TyperCommand):
    """A command whose failures are one actionable line and a documented exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        debug = _debug(ctx)
        if not debug:
            logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except OperatorError as exc:
            _fail(exc.line(), exc.code, debug)
        except (ConnectionError, socket.gaierror, TimeoutError) as exc:
            _fail(
                f"error: cannot connect: {exc}; check that it runs and its address, "
                "and rerun with --debug to see which",
                ExitCode.UNREACHABLE,
                debug,
            )
        except Exception as exc:
            _fail(
                f"error: {type(exc).__name__}: {exc}; rerun with --debug for the traceback",
                ExitCode.FAILED,
                debug,
            )


def _debug(ctx: typer.Context) -> bool:
    root = ctx.find_root().obj
    env = _flag(os.environ.get("PLEDGEFLOW_DEBUG"))
    return bool(ctx.params.get("debug")) or getattr(root, "debug", False) or env


def _fail(line: str, code: ExitCode, debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
    typer.echo(line, err=True)
    raise typer.Exit(int(code))


class CommandGroup(typer.Typer):
    """A group of `pledgeflow` commands; the root adds it with one `add_typer` line."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("no_args_is_help", True)
        settings.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        settings.setdefault("pretty_exceptions_enable", False)
        super().__init__(**settings)

    def command(self, name: str | None = None, **settings: Any) -> Callable[..., Any]:  # type: ignore[override]
        settings.setdefault("cls", OperatorCommand)
        settings.setdefault("rich_help_panel", self.rich_help_panel)
        return super().command(name, **settings)


def stdout() -> Console:
    """Results; piped elsewhere than a terminal, as wide as the rows (up to 240 columns)."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 240
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    """JSON on stdout: UTF-8, indented, instants and decimals as strings."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    _emit(table)


def print_fields(title: str, fields: Sequence[tuple[str, Any]]) -> None:
    """One record as a name and value per line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in fields:
        grid.add_row(name, "" if value is None else str(value))
    _emit(Text(title, style="bold"), grid)


def _emit(*renderables: Any) -> None:
    """Print to stdout without the padding that would trail each line."""
    console = stdout()
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    typer.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def note(text: str) -> None:
    """A line for the person at the terminal, on stderr, so stdout stays for results."""
    stderr().print(text, style="dim", markup=False)


class LiveCount:
    """How far long work is: `count(done, total)`; a progress bar on a terminal."""

    def __init__(self, bar: Progress, task: Any) -> None:
        self.bar, self.task = bar, task
        self.done, self.total = 0, 0
        self.started: float | None = None

    def __call__(self, done: int, total: int) -> None:
        """The work's first report starts the clock; each one moves the bar."""
        if self.started is None:
            self.started = time.monotonic()
        self.done, self.total = done, total
        self.bar.update(self.task, completed=done, total=total or None)

    @property
    def seconds(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started


@contextmanager
def live_count(what: str, unit: str) -> Iterator[LiveCount]:
    """A transient progress bar on stderr, shown only on a terminal."""
    console = stderr()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        yield LiveCount(bar, bar.add_task(what, total=None))


def database_url(service: str) -> str:
    """The database URL `service` (or the console) reads: PLEDGEFLOW_<SERVICE>_DATABASE_URL,
    else its default; invalid settings are a usage error naming the variables."""
    from pydantic import ValidationError

    from shared.migrations import database_url_of

    try:
        return database_url_of(service)
    except ValidationError as exc:
        raise OperatorError(
            f"the {service}'s settings are invalid: {exc.errors()[0]['msg']}",
            f"fix the PLEDGEFLOW_{service.upper()}_* variables",
            ExitCode.USAGE,
        ) from exc
