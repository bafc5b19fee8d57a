"""Scrape-time figures: read from their source when scraped, at most once per interval, and
the last ones kept (and the failure counted) when the source cannot be read."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from shared.metrics import Metrics, gauge


def scraped(metrics: Metrics) -> dict[str, float]:
    exposition = metrics.exposition().decode()
    return {
        sample.name + "".join(f"[{v}]" for _, v in sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


class Source:
    def __init__(self) -> None:
        self.reads = 0
        self.waiting = 3
        self.down = False

    async def read(self) -> list[Metric]:
        self.reads += 1
        if self.down:
            raise ConnectionError("database unavailable")
        family = gauge("pledgeflow_valuations_awaiting_signoff", "waiting")
        family.add_metric([], self.waiting)
        return [family]


async def test_figures_are_read_at_scrape_time_at_most_once_per_interval() -> None:
    metrics, source = Metrics(refresh_interval=3600), Source()
    metrics.add_figures(source.read)
    await metrics.refresh()
    source.waiting = 5
    await metrics.refresh()
    assert source.reads == 1
    assert scraped(metrics)["pledgeflow_valuations_awaiting_signoff"] == 3

    eager = Metrics(refresh_interval=0)
    eager.add_figures(source.read)
    await eager.refresh()
    assert scraped(eager)["pledgeflow_valuations_awaiting_signoff"] == 5


async def test_a_failed_read_keeps_the_last_figures_and_is_counted() -> None:
    metrics, source = Metrics(refresh_interval=0), Source()
    metrics.add_figures(source.read)
    await metrics.refresh()
    source.down, source.waiting = True, 9
    await metrics.refresh()
    shown = scraped(metrics)
    assert shown["pledgeflow_valuations_awaiting_signoff"] == 3
    assert shown["pledgeflow_metrics_refresh_failures_total"] == 1


def test_consumer_lag_is_read_from_the_consumers_when_scraped() -> None:
    metrics = Metrics()
    lag = {"credit.valuations": {("pledgeflow.valuation.valuations", 2): 7}}
    metrics.lag_source = lambda: lag
    assert (
        scraped(metrics)[
            "pledgeflow_consumer_lag[credit.valuations][2][pledgeflow.valuation.valuations]"
        ]
        == 7
    )
    lag["credit.valuations"][("pledgeflow.valuation.valuations", 2)] = 0
    assert (
        scraped(metrics)[
            "pledgeflow_consumer_lag[credit.valuations][2][pledgeflow.valuation.valuations]"
        ]
        == 0
    )
