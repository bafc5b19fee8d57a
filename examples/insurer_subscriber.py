"""Follow pledgeflow's loans as an insurer or a risk-compensation fund would.

Reads the public topic `pledgeflow.credit.loans` with its own consumer group and keeps a ledger
of the loans it covers: disbursements (exposure and premium), defaults, and the claims
addressed to it. It depends only on the published event contract (contracts/), not on
pledgeflow's code, so it runs with nothing but `aiokafka` installed.

    python examples/insurer_subscriber.py --bootstrap 127.0.0.1:9092 --party insurer

Offsets are committed after each event is applied, so a restart resumes where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata, TopicPartition

LOANS_TOPIC = "pledgeflow.credit.loans"
FOLLOWED = {"credit.loan.disbursed", "credit.loan.defaulted", "credit.claim.raised"}


@dataclass
class Ledger:
    """What the subscriber knows: covered loans, defaults and its own claims."""

    party: str
    exposure: dict[str, Decimal] = field(default_factory=dict)
    premiums: dict[str, Decimal] = field(default_factory=dict)
    defaulted: set[str] = field(default_factory=set)
    claims: dict[str, Decimal] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def apply(self, event: dict[str, Any]) -> str | None:
        """Take one envelope into account; returns a line to print, or None if ignored."""
        if event["event_type"] not in FOLLOWED or event["event_id"] in self.seen:
            return None
        self.seen.add(event["event_id"])
        payload = event["payload"]
        loan = payload["loan_id"]
        if event["event_type"] == "credit.loan.disbursed":
            self.exposure[loan] = Decimal(payload["amount"])
            self.premiums[loan] = Decimal(payload.get("insurance_premium") or "0")
            return f"disbursed {loan}: {payload['amount']} yuan, premium {self.premiums[loan]}"
        if event["event_type"] == "credit.loan.defaulted":
            self.defaulted.add(loan)
            return f"defaulted {loan}: loss {payload.get('loss', '?')} yuan"
        if payload.get("party") != self.party:
            return None
        self.claims[loan] = self.claims.get(loan, Decimal("0")) + Decimal(payload["amount"])
        return f"claim on {loan}: {payload['amount']} yuan ({payload.get('share')} of the loss)"

    @property
    def total_exposure(self) -> Decimal:
        return sum(self.exposure.values(), Decimal("0"))

    @property
    def total_claims(self) -> Decimal:
        return sum(self.claims.values(), Decimal("0"))


async def follow(
    bootstrap: str,
    group: str,
    ledger: Ledger,
    *,
    stop: asyncio.Event | None = None,
    session_timeout_ms: int = 10_000,
) -> None:
    """Consume until `stop` is set (or forever), applying each event and then committing."""
    consumer = AIOKafkaConsumer(
        LOANS_TOPIC,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(100, session_timeout_ms // 5),
    )
    await consumer.start()
    try:
        while stop is None or not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for partition, messages in batches.items():
                for message in messages:
                    line = ledger.apply(json.loads(message.value))
                    if line:
                        print(line, flush=True)
                await consumer.commit(
                    {
                        TopicPartition(partition.topic, partition.partition): OffsetAndMetadata(
                            messages[-1].offset + 1, ""
                        )
                    }
                )
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Follow disbursements, defaults and claims")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--party", default="insurer", help="the claims party you are")
    parser.add_argument("--group", default=None, help="consumer group (default: the party)")
    args = parser.parse_args()
    ledger = Ledger(party=args.party)
    try:
        asyncio.run(follow(args.bootstrap, args.group or f"subscriber-{args.party}", ledger))
    except KeyboardInterrupt:
        print(f"exposure {ledger.total_exposure} yuan; claims {ledger.total_claims} yuan")


if __name__ == "__main__":
    main()
