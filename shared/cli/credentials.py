"""`pledgeflow credentials issue|rotate|retire`: bearer credentials and their signing keys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shared.cli.common import (
    CommandGroup,
    DebugOption,
    JsonOption,
    OperatorError,
    note,
    options,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from shared.issuer import LocalIssuer

app = CommandGroup(
    name="credentials",
    help="Bearer credentials for banks and staff, and the keys that sign them.\n\n"
    "Without --issuer/--keys they use the local development issuer (keys in .data/dev-issuer/), "
    "which the local stack trusts and production refuses.",
    rich_help_panel="Access",
)

# Named here so that help and completion need not load the signing libraries; a test holds
# them equal to shared.tokens.Role and shared.migrations.SERVICES.
ROLES = (
    "bank",
    "examiner",
    "supervisor",
    "administrator",
    "credit_officer",
    "appraiser",
    "operator",
)
AUDIENCES = ("registry", "valuation", "credit")

IssuerOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="Sign as this issuer (with --keys), e.g. https://ops.example/pledgeflow.",
    ),
]
KeysOption = Annotated[
    Path | None,
    typer.Option(
        file_okay=False, help="The folder of that issuer's keys; made on first use.", metavar="DIR"
    ),
]


def _one_of(choices: tuple[str, ...], value: str, name: str) -> str:
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=name)
    return value


def _issuer(issuer: str | None, keys: Path | None) -> LocalIssuer:
    from shared.issuer import LocalIssuer, development_issuer

    if (issuer is None) != (keys is None):
        raise typer.BadParameter("--issuer and --keys go together")
    if issuer is None or keys is None:
        return development_issuer()
    signing = LocalIssuer(issuer, keys)
    signing.jwks()
    return signing


@app.command()
def issue(
    ctx: typer.Context,
    subject: Annotated[
        str, typer.Argument(metavar="SUBJECT", help="The bank id (role bank) or staff member.")
    ],
    role: Annotated[
        str,
        typer.Argument(
            metavar="ROLE",
            help=f"The role it grants: {', '.join(ROLES)}.",
            autocompletion=lambda: list(ROLES),
            show_default=False,
        ),
    ],
    audiences: Annotated[
        list[str],
        typer.Option(
            "--audience",
            metavar="SERVICE",
            help=f"A service it is for: {', '.join(AUDIENCES)}; repeat for several.",
            autocompletion=lambda: list(AUDIENCES),
            show_default=False,
        ),
    ],
    hours: Annotated[
        float, typer.Option(min=0.01, metavar="HOURS", help="How long it is valid.")
    ] = 8.0,
    issuer: IssuerOption = None,
    keys: KeysOption = None,
    debug: DebugOption = False,
) -> None:
    """Print a signed bearer credential, e.g. BANK=$(pledgeflow credentials issue ...)."""
    from shared.tokens import Role, audience

    options(ctx, debug=debug)
    granted = Role(_one_of(ROLES, role, "ROLE"))
    named = [
        audience(_one_of(AUDIENCES, service, "--audience")) for service in dict.fromkeys(audiences)
    ]
    token = _issuer(issuer, keys).issue(
        subject,
        granted,
        audience=named[0] if len(named) == 1 else named,
        ttl=timedelta(hours=hours),
    )
    typer.echo(token)


@app.command()
def rotate(
    ctx: typer.Context,
    issuer: IssuerOption = None,
    keys: KeysOption = None,
    debug: DebugOption = False,
) -> None:
    """Make a new signing key and print its id; the older keys stay published.

    Copy the issuer's jwks.json to where the services read it; they verify with the new key
    from their next read.
    """
    options(ctx, debug=debug)
    typer.echo(_issuer(issuer, keys).rotate())


@app.command()
def keys(
    ctx: typer.Context,
    issuer: IssuerOption = None,
    keys: KeysOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """The issuer's published signing keys, the one that signs first."""
    settings = options(ctx, as_json=as_json, debug=debug)
    signing = _issuer(issuer, keys)
    kids = [str(key["kid"]) for key in signing.jwks()["keys"]]
    if settings.json:
        print_json([{"kid": kid, "signs": kid == kids[0]} for kid in kids])
        return
    note(f"published in {signing.jwks_path}")
    print_table(
        f"keys of {signing.issuer}",
        ["key id", "signs new credentials"],
        [[kid, "yes" if kid == kids[0] else "no, still verifies"] for kid in kids],
    )


@app.command()
def retire(
    ctx: typer.Context,
    kid: Annotated[str, typer.Argument(metavar="KID", help="The key id to stop publishing.")],
    issuer: IssuerOption = None,
    keys: KeysOption = None,
    debug: DebugOption = False,
) -> None:
    """Stop publishing an old signing key; credentials it signed are refused from then on."""
    options(ctx, debug=debug)
    if not kid.strip():
        raise typer.BadParameter("name the key to retire: pledgeflow credentials keys lists them")
    signing = _issuer(issuer, keys)
    if kid not in [key["kid"] for key in signing.jwks()["keys"]]:
        raise OperatorError(
            f"{signing.issuer} publishes no key {kid}",
            "pledgeflow credentials keys lists the ones it publishes",
        )
    try:
        signing.retire(kid)
    except ValueError as exc:
        raise OperatorError(str(exc), "pledgeflow credentials rotate makes a new key") from exc
    typer.echo(f"retired {kid}")
