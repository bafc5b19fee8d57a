"""How topics are created, what production refuses, and how the broker watch reports."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.broker_watch import BrokerWatch
from shared.bus.kafka import TopicCheck, new_topics
from shared.settings import ServiceSettings
from shared.topics import (
    CREDIT_LOANS,
    EVENT_TYPES,
    REGISTRY_RIGHTS,
    TopicSettings,
    dead_letter_topic,
)

PRODUCTION: dict[str, Any] = {
    "database_url": "postgresql+asyncpg://u@h/d",
    "http_port": 1,
    "environment": "production",
    "auth_issuers_file": Path("issuers.yaml"),
}
WEEK_MS = str(7 * 24 * 3600 * 1000)


def test_the_register_topic_is_compacted_and_the_others_keep_a_week() -> None:
    settings = ServiceSettings(database_url="sqlite://", http_port=1).topic_settings
    assert settings.configs(REGISTRY_RIGHTS) == {
        "cleanup.policy": "compact",
        "min.insync.replicas": "1",
    }
    for topic in [*EVENT_TYPES.keys() - {REGISTRY_RIGHTS}, dead_letter_topic("credit.saga")]:
        configs = settings.configs(topic)
        assert configs["cleanup.policy"] == "delete"
        assert configs["retention.ms"] == WEEK_MS


def test_topics_are_requested_with_their_partitions_copies_and_configs() -> None:
    settings = TopicSettings(partitions=6, replication_factor=3, min_insync_replicas=2)
    rights, loans = new_topics(settings, [REGISTRY_RIGHTS, CREDIT_LOANS])
    assert (rights.name, rights.num_partitions, rights.replication_factor) == (
        REGISTRY_RIGHTS,
        6,
        3,
    )
    assert rights.topic_configs == {"cleanup.policy": "compact", "min.insync.replicas": "2"}
    assert loans.topic_configs == {
        "cleanup.policy": "delete",
        "retention.ms": WEEK_MS,
        "min.insync.replicas": "2",
    }


def test_production_refuses_fewer_than_three_copies() -> None:
    with pytest.raises(ValueError, match="REPLICATION_FACTOR of at least 3"):
        ServiceSettings(**PRODUCTION)
    with pytest.raises(ValueError, match="MIN_INSYNC_REPLICAS of at least 2"):
        ServiceSettings(**PRODUCTION, kafka_replication_factor=3, kafka_min_insync_replicas=1)
    cluster = ServiceSettings(**PRODUCTION, kafka_replication_factor=3)
    assert cluster.topic_settings.configs(CREDIT_LOANS)["min.insync.replicas"] == "2"


def test_a_one_broker_production_stack_says_so_and_keeps_one_copy() -> None:
    single = ServiceSettings(**PRODUCTION, kafka_single_broker=True)
    assert single.topic_settings.replication_factor == 1
    assert single.topic_settings.configs(CREDIT_LOANS)["min.insync.replicas"] == "1"


def test_the_inbox_outlives_the_topics_and_the_outbox() -> None:
    with pytest.raises(ValueError, match="inbox_retention"):
        ServiceSettings(
            database_url="sqlite://",
            http_port=1,
            kafka_topic_retention=timedelta(days=30),
            inbox_retention=timedelta(days=14),
        )
    with pytest.raises(ValueError, match="inbox_retention"):
        ServiceSettings(database_url="sqlite://", http_port=1, outbox_retention=timedelta(days=20))


class FlakyBroker:
    """A broker the test takes away and brings back; it forgets its topics when it comes back."""

    def __init__(self) -> None:
        self.up = True
        self.topics: set[str] = set()
        self.checks = 0

    async def check(self, topics: Sequence[str]) -> TopicCheck:
        self.checks += 1
        if not self.up:
            raise ConnectionError("connection refused")
        missing = tuple(t for t in topics if t not in self.topics)
        self.topics.update(missing)
        return TopicCheck(created=missing)


async def test_the_watch_reports_an_unreachable_broker_until_it_answers_again() -> None:
    broker = FlakyBroker()
    watch = BrokerWatch(broker.check, [CREDIT_LOANS, REGISTRY_RIGHTS], interval=0.01)
    await watch.check()
    assert watch.problems() == {}
    broker.up = False
    task = asyncio.create_task(watch.run())
    try:
        while not watch.problems():
            await asyncio.sleep(0.01)
        assert "ConnectionError: connection refused" in watch.problems()["broker"]
        broker.up, broker.topics = True, set()
        while watch.problems():
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
    assert broker.topics == {CREDIT_LOANS, REGISTRY_RIGHTS}
    assert watch.recreated == 4


async def test_a_publish_after_a_failure_makes_sure_of_the_topics_first() -> None:
    broker = FlakyBroker()
    watch = BrokerWatch(broker.check, [CREDIT_LOANS], interval=60)
    await watch.check()
    await watch.before_publish()
    assert broker.checks == 1
    broker.topics = set()
    watch.suspect()
    await watch.before_publish()
    assert broker.checks == 2
    assert broker.topics == {CREDIT_LOANS}


async def test_topics_that_could_not_be_aligned_are_warnings() -> None:
    async def check(topics: Sequence[str]) -> TopicCheck:
        return TopicCheck(differing={REGISTRY_RIGHTS: "cleanup.policy=compact (has default)"})

    watch = BrokerWatch(check, [REGISTRY_RIGHTS], interval=60)
    await watch.check()
    assert watch.problems() == {}
    assert watch.warnings() == {f"topic {REGISTRY_RIGHTS}": "cleanup.policy=compact (has default)"}
