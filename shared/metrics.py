"""A service's metrics in Prometheus form, in a registry of its own.

Names follow Prometheus conventions: base units, `_total` for counters, and labels of low
cardinality (route templates, consumer groups, event types; never ids).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters and histograms one service process keeps."""

    def __init__(self) -> None:
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
