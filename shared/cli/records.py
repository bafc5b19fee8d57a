"""`pledgeflow ledger verify` and `pledgeflow reconciliation`: provable records."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from shared.cli.common import (
    TOKEN_VARIABLE,
    CommandGroup,
    DebugOption,
    ExitCode,
    JsonOption,
    OperatorError,
    at_service,
    note,
    options,
    print_fields,
    print_json,
    print_table,
    unreachable,
)

ledger = CommandGroup(
    name="ledger",
    help="Each service's decision ledger: a hash chain of every decision, in its own database.",
    rich_help_panel="Operate",
)
reconciliation = CommandGroup(
    name="reconciliation",
    help="Credit's loans against the registry's pledges, and the mismatches found.",
    rich_help_panel="Operate",
)

CREDIT_VARIABLES = ["PLEDGEFLOW_CREDIT_URL", "PLEDGEFLOW_CONSOLE_CREDIT_URL"]
SERVICES = ("registry", "valuation", "credit", "console")


def _witness(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or not name or not url:
        raise typer.BadParameter("expected NAME=DATABASE_URL")
    return name, url


@ledger.command()
def verify(
    ctx: typer.Context,
    service: Annotated[
        str, typer.Argument(metavar="SERVICE", help=f"Whose chain: {', '.join(SERVICES)}.")
    ],
    database_url: Annotated[
        str,
        typer.Option(
            metavar="URL", help="The service's database, e.g. postgresql+asyncpg://…/registry."
        ),
    ],
    witness: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=URL",
            help="Another service's database, whose recorded heads of this chain are checked "
            "too (repeat for several).",
        ),
    ] = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Walk a service's decision ledger and name the first entry altered, removed, reordered
    or rewritten. Exits 1 on a break."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from shared.envelope import to_primitive
    from shared.ledger import verify_service

    settings = options(ctx, as_json=as_json, debug=debug)
    if service not in SERVICES:
        raise OperatorError(f"no service {service!r}", f"name one of {', '.join(SERVICES)}")
    witnesses = dict(_witness(w) for w in witness or [])
    try:
        verdict = asyncio.run(verify_service(service, database_url, witnesses))
    except (OSError, OperationalError, DBAPIError) as exc:
        raise unreachable(
            f"cannot read the ledger at {database_url} or a witness's database ({exc})",
            "check the URLs and that the databases are migrated (pledgeflow migrate)",
        ) from exc
    found: dict[str, Any] = to_primitive(verdict.as_dict())
    if settings.json:
        print_json(found)
    else:
        print_fields(f"{service}'s decision ledger", sorted(found.items()))
    if not verdict.intact:
        raise typer.Exit(ExitCode.FAILED)
    note(f"{service}'s ledger is intact")


CreditOption = Annotated[
    str,
    typer.Option(
        "--credit",
        envvar=CREDIT_VARIABLES,
        show_envvar=True,
        metavar="URL",
        help="Credit's base URL.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_VARIABLE,
        show_envvar=True,
        show_default=False,
        help="An operator's, supervisor's or administrator's bearer credential for credit.",
    ),
]
DEFAULT_CREDIT_URL = "http://127.0.0.1:8003"


@reconciliation.command()
def run(
    ctx: typer.Context,
    credit: CreditOption = DEFAULT_CREDIT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Reconcile credit's loans with the registry's pledges now, and list the mismatches.
    Exits 1 when there are any."""
    _reconciliation(ctx, credit, token, as_json, debug, run=True)


@reconciliation.command()
def show(
    ctx: typer.Context,
    credit: CreditOption = DEFAULT_CREDIT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """The last reconciliation (scheduled or asked for) and its mismatches. Exits 1 when
    there are any."""
    _reconciliation(ctx, credit, token, as_json, debug, run=False)


def _reconciliation(
    ctx: typer.Context, credit: str, token: str | None, as_json: bool, debug: bool, *, run: bool
) -> None:
    from shared import ops

    settings = options(ctx, as_json=as_json, debug=debug)
    found = at_service(
        "credit",
        credit,
        f"--credit or {CREDIT_VARIABLES[0]}",
        token,
        ("operator", "supervisor", "administrator"),
        lambda headers: ops.reconciliation(credit, headers, run),
    )
    mismatches = found.get("mismatches") or []
    if settings.json:
        print_json(found)
    else:
        print_table(
            f"reconciliation {found['run_id']} ({found['trigger']}) at {found['finished_at']}: "
            f"{found['loans_checked']} loans, {found['pledges_checked']} pledges",
            ["reason", "bank", "loan", "registration", "detail"],
            [
                [
                    m["reason"],
                    m["bank_id"],
                    m.get("loan_id") or "-",
                    m.get("registration_number") or "-",
                    m["detail"],
                ]
                for m in mismatches
            ],
        )
    if mismatches:
        raise typer.Exit(ExitCode.FAILED)
    note("no mismatches")
