"""`pledgeflow history`, `dead-letters`, `replay`: what happened on the topics, and putting
dead-lettered events back."""

from __future__ import annotations

from typing import Annotated

import typer

from shared.cli.common import (
    BootstrapOption,
    CommandGroup,
    DebugOption,
    JsonOption,
    OperatorError,
    live_count,
    note,
    on_broker,
    options,
    print_json,
    print_table,
)

PANEL = "Operate the running system"
app = CommandGroup(rich_help_panel=PANEL)


@app.command()
def history(
    ctx: typer.Context,
    correlation_id: Annotated[
        str,
        typer.Argument(
            metavar="CORRELATION_ID", help="The case's correlation id (a loan's is on the loan)."
        ),
    ],
    bootstrap: BootstrapOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """One case's events across every service, in the order they happened.

    Reads every pledgeflow topic from its beginning, with a count of the records read.
    """
    settings = options(ctx, bootstrap=bootstrap, as_json=as_json, debug=debug)
    with live_count("scanning the topics", "records") as count:
        events = on_broker(
            settings.bootstrap, lambda ops: ops.history(settings.bootstrap, correlation_id, count)
        )
    note(f"scanned {count.done} records in {count.seconds:.1f} s; {len(events)} of this case")
    if not events:
        raise OperatorError(
            f"no events with correlation id {correlation_id} on {settings.bootstrap}",
            "check the id (a loan's correlation_id is on GET /v1/loans/{loan_id})",
        )
    if settings.json:
        print_json(events)
        return
    print_table(
        f"case {correlation_id}",
        ["occurred at", "producer", "event", "aggregate", "version"],
        [
            [
                e["occurred_at"],
                e["producer"],
                e["event_type"],
                e["aggregate_id"],
                e["aggregate_version"],
            ]
            for e in events
        ],
    )


@app.command("dead-letters")
def dead_letters(
    ctx: typer.Context,
    consumer: Annotated[
        str | None,
        typer.Argument(
            metavar="CONSUMER",
            help="A consumer group, e.g. credit.pledges; without it, every group's counts.",
            show_default=False,
        ),
    ] = None,
    bootstrap: BootstrapOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """What a consumer group dead-lettered, with the reasons; or how many each group has."""
    settings = options(ctx, bootstrap=bootstrap, as_json=as_json, debug=debug)
    if consumer is None:
        _counts(settings.bootstrap, settings.json)
        return
    with live_count(f"reading the dead letters of {consumer}", "letters") as count:
        letters = on_broker(
            settings.bootstrap, lambda ops: ops.dead_letters(settings.bootstrap, consumer, count)
        )
    rows = [{k: v for k, v in letter.items() if k != "record"} for letter in letters]
    if settings.json:
        print_json(rows)
        return
    if not rows:
        note(f"no dead letters for {consumer} (pledgeflow dead-letters lists every group's)")
        return
    print_table(
        f"dead letters of {consumer}",
        ["failed at", "event id", "reason", "source", "detail"],
        [[r["failed_at"], r["event_id"], r["reason"], r["source"], r["detail"]] for r in rows],
    )


def _counts(bootstrap: str, as_json: bool) -> None:
    with live_count("reading every dead-letter topic", "letters") as count:
        found = on_broker(bootstrap, lambda ops: ops.dead_letter_counts(bootstrap, count))
    if as_json:
        print_json([vars(c) for c in found])
        return
    if not found:
        note("no consumer group has dead-lettered anything")
        return
    print_table(
        "dead letters by consumer group",
        ["consumer group", "letters", "reasons"],
        [
            [c.consumer, c.count, ", ".join(f"{r} {n}" for r, n in sorted(c.reasons.items()))]
            for c in found
        ],
    )


@app.command()
def replay(
    ctx: typer.Context,
    consumer: Annotated[
        str,
        typer.Argument(metavar="CONSUMER", help="The consumer group that dead-lettered them."),
    ],
    event_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="EVENT_ID",
            help="The events to put back (see dead-letters).",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Put back every dead letter of the group.")
    ] = False,
    bootstrap: BootstrapOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Put dead-lettered events back on their source topics.

    Safe to repeat: consumer groups that handled an event already skip it (their inbox has
    its id); only the group that failed processes it again.
    """
    settings = options(ctx, bootstrap=bootstrap, as_json=as_json, debug=debug)
    if bool(event_ids) == every:
        raise typer.BadParameter("name the event ids to replay, or --all (not both)")
    from shared.ops import NoSuchDeadLetter

    wanted = None if every else event_ids
    with live_count(f"replaying dead letters of {consumer}", "events") as count:
        try:
            sent = on_broker(
                settings.bootstrap,
                lambda ops: ops.replay_many(settings.bootstrap, consumer, wanted, count),
            )
        except NoSuchDeadLetter as exc:
            raise OperatorError(
                str(exc) + " (nothing was replayed)",
                f"list what it has with: pledgeflow dead-letters {consumer}",
            ) from exc
    if settings.json:
        print_json([{"event_id": event_id, "topic": topic} for event_id, topic in sent])
        return
    for event_id, topic in sent:
        typer.echo(f"replayed {event_id} to {topic}")
    note(f"{len(sent)} replayed in {count.seconds:.1f} s")
