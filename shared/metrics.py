"""A service's metrics in Prometheus form, in a registry of its own.

Names follow Prometheus conventions: base units, `_total` for counters, and labels of low
cardinality (route templates, consumer groups, event types, banks, states; never ids).

Counters and histograms move as the service works. Gauges of state (consumer lag, the outbox
backlog, the business figures an operator watches) are read when Prometheus scrapes: lag from
the consumers' own bookkeeping, the rest from the database by `refresh`, which reads them at
most once per `refresh_interval` however many scrapers ask.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# From a commit to the broker's acknowledgement: milliseconds when all is well, minutes when
# the broker was away.
DELAY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# A scrape answers with the last figures rather than wait longer for the database.
REFRESH_TIMEOUT = 5.0
# (topic, partition) -> records published there that the group has not handled yet
Lag = Mapping[tuple[str, int], int]
FigureReader = Callable[[], Awaitable[Iterable[Metric]]]
# Reads gauges of a service's own state on a connection of its database.
FigureSource = Callable[[AsyncConnection], Awaitable[Iterable[Metric]]]


def gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    """An empty gauge family for a figure read at scrape time."""
    return GaugeMetricFamily(name, documentation, labels=list(labels))


class _ScrapeTime(Collector):
    """Yields the gauges read at scrape time: lag, and the last figures `refresh` read."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        lag = gauge(
            "pledgeflow_consumer_lag",
            "Records on a partition that the consumer group has not handled yet",
            ["consumer", "topic", "partition"],
        )
        for consumer, partitions in self._metrics.lag_source().items():
            for (topic, partition), records in sorted(partitions.items()):
                lag.add_metric([consumer, topic, str(partition)], records)
        yield lag
        yield from self._metrics.figures

    def describe(self) -> Iterator[Metric]:
        return iter(())


class Metrics:
    """The counters, histograms and scrape-time gauges one service process keeps."""

    def __init__(self, refresh_interval: float = 1.0) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "pledgeflow_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "pledgeflow_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_handled = Counter(
            "pledgeflow_events_handled",
            "Events a consumer took in, by outcome (handled, duplicate, skipped, dead_lettered)",
            ["consumer", "event_type", "outcome"],
            registry=r,
        )
        self.handler_duration = Histogram(
            "pledgeflow_event_handler_duration_seconds",
            "Time to handle one event, retries included",
            ["consumer", "event_type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.dead_letters = Counter(
            "pledgeflow_dead_letters",
            "Events sent to a dead-letter topic, by consumer and reason",
            ["consumer", "reason"],
            registry=r,
        )
        self.db_statements = Counter(
            "pledgeflow_db_statements", "SQL statements sent to the database", registry=r
        )
        self.db_transactions = Counter(
            "pledgeflow_db_transactions",
            "Database transactions ended, by outcome",
            ["outcome"],
            registry=r,
        )
        self.broker_requests = Counter(
            "pledgeflow_broker_requests",
            "Requests to the broker: produce (publish and wait for acks), fetch, offset commit",
            ["kind"],
            registry=r,
        )
        self.relay_publish_duration = Histogram(
            "pledgeflow_outbox_publish_duration_seconds",
            "Time from reading a batch of outbox rows to the broker's acknowledgement",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.relay_published = Counter(
            "pledgeflow_outbox_published", "Outbox rows published", registry=r
        )
        self.relay_delay = Histogram(
            "pledgeflow_outbox_delay_seconds",
            "Time from an event's commit to the broker's acknowledgement of it",
            buckets=DELAY_BUCKETS,
            registry=r,
        )
        self.refresh_failures = Counter(
            "pledgeflow_metrics_refresh_failures",
            "Scrapes whose figures could not be read from the database (the last ones are shown)",
            registry=r,
        )
        self.reconciliation_runs = Counter(
            "pledgeflow_reconciliation_runs",
            "Reconciliation runs, by outcome (clean, mismatches, failed)",
            ["outcome"],
            registry=r,
        )
        self.reconciliation_mismatches = Counter(
            "pledgeflow_reconciliation_mismatches",
            "Mismatches reconciliation found, by reason code",
            ["reason"],
            registry=r,
        )
        self.lag_source: Callable[[], Mapping[str, Lag]] = dict
        self.figures: list[Metric] = []
        self._readers: list[FigureReader] = []
        self._refresh_interval = refresh_interval
        self._refreshed_at = -float("inf")
        self._refreshing = asyncio.Lock()
        r.register(_ScrapeTime(self))

    def add_figures(self, reader: FigureReader) -> None:
        """Read gauges with `reader` whenever the metrics are refreshed."""
        self._readers.append(reader)

    async def refresh(self) -> None:
        """Read the figures anew, unless they were read less than `refresh_interval` ago."""
        async with self._refreshing:
            if time.monotonic() - self._refreshed_at < self._refresh_interval:
                return
            figures: list[Metric] = []
            try:
                async with asyncio.timeout(REFRESH_TIMEOUT):
                    for read in self._readers:
                        figures.extend(await read())
            except Exception:
                self.refresh_failures.inc()
                log.warning("figures for the metrics could not be read", exc_info=True)
                return
            self.figures = figures
            self._refreshed_at = time.monotonic()

    def watch_engine(self, engine: AsyncEngine) -> None:
        """Count the statements and transactions of `engine`."""
        sync = engine.sync_engine

        def statement(*_: Any) -> None:
            self.db_statements.inc()

        def committed(*_: Any) -> None:
            self.db_transactions.labels("commit").inc()

        def rolled_back(*_: Any) -> None:
            self.db_transactions.labels("rollback").inc()

        event.listen(sync, "before_cursor_execute", statement)
        event.listen(sync, "commit", committed)
        event.listen(sync, "rollback", rolled_back)

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)
