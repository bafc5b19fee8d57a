"""Prometheus, Grafana, the broker's host listener and the Kubernetes manifests agree with the
services they deploy: ports, paths, metric names, settings and the order of things."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shared.bus.memory import InMemoryBus
from shared.migrations import DATABASES, upgrade
from tests.unit.test_deployment import (
    ROOT,
    environment,
    load_settings,
    prefix,
    published_ports,
    services,
    settings_class,
)

PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "pledgeflow.json"
K8S = ROOT / "deploy" / "k8s"
APPS = list(DATABASES)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def mounted_source(service: str, target: str) -> Path:
    """The repository path compose mounts at `target` in `service`."""
    for entry in services()[service].get("volumes") or []:
        source, _, rest = str(entry).partition(":")
        if rest.removesuffix(":ro").removesuffix(":rw") == target:
            return (ROOT / source).resolve()
    raise AssertionError(f"{service} mounts nothing at {target}")


# Compose: the broker from the host, Prometheus and Grafana


def test_the_broker_has_a_listener_the_host_can_reach() -> None:
    kafka = environment("kafka")
    listeners = dict(
        item.split("://", 1) for item in kafka["KAFKA_LISTENERS"].split(",") if "://" in item
    )
    advertised = dict(
        item.split("://", 1) for item in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    )
    protocols = dict(
        item.split(":", 1) for item in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(listeners) <= set(protocols), "every listener needs a security protocol"
    published = {container for _, container in published_ports("kafka")}
    from_host = [
        name
        for name, address in advertised.items()
        if address.rsplit(":", 1)[0].split(":-")[-1].rstrip("}") == "localhost"
    ]
    assert from_host, "no listener is advertised under a name the host resolves"
    for name in from_host:
        port = advertised[name].rsplit(":", 1)[1]
        assert listeners[name].endswith(f":{port}"), f"{name} listens elsewhere than it advertises"
        assert port in published, f"the {name} listener's port {port} is not published"
    inside = advertised[kafka["KAFKA_INTER_BROKER_LISTENER_NAME"]]
    assert inside.split(":")[0] == "kafka", "the services' listener keeps the in-network name"


def test_prometheus_scrapes_every_service_at_its_port_and_metrics_path() -> None:
    config = load(PROMETHEUS)
    targets = {
        target: job.get("metrics_path", "/metrics")
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    for service in APPS:
        port = environment(service)[f"{prefix(service)}HTTP_PORT"]
        target = f"{service}:{port}"
        assert target in targets, f"Prometheus does not scrape {service} at {target}"
        assert targets[target] == "/metrics"
    prometheus = services()["prometheus"]
    flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    assert mounted_source("prometheus", flag.split("=", 1)[1]) == PROMETHEUS.resolve()


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    provisioning = mounted_source("grafana", "/etc/grafana/provisioning")
    assert provisioning == (GRAFANA / "provisioning").resolve()
    [source] = load(provisioning / "datasources" / "prometheus.yml")["datasources"]
    port = next(c for _, c in published_ports("prometheus"))
    assert source["type"] == "prometheus" and source["url"] == f"http://prometheus:{port}"
    [provider] = load(provisioning / "dashboards" / "pledgeflow.yml")["providers"]
    dashboards = mounted_source("grafana", provider["options"]["path"])
    assert dashboards == DASHBOARD.parent.resolve()
    dashboard = yaml.safe_load(DASHBOARD.read_text())
    used = {
        target["datasource"]["uid"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }
    assert used == {source["uid"]}, "every panel should query the provisioned data source"


def test_the_dashboard_shows_flows_sla_lag_dead_letters_and_the_outbox() -> None:
    dashboard = yaml.safe_load(DASHBOARD.read_text())
    rows = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}
    assert {"Flows", "SLA", "Consumer lag", "Dead letters", "Outbox"} <= rows


@pytest.fixture(scope="module")
async def exposed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[set[str]]:
    """Every metric name the four services expose at /metrics (samples named as scraped)."""
    folder = tmp_path_factory.mktemp("metrics")
    names: set[str] = set()
    async with AsyncExitStack() as stack:
        for service in APPS:
            url = f"sqlite+aiosqlite:///{folder / service}.db"
            await asyncio.to_thread(upgrade, service, url)
            make: Any = settings_class(service)
            settings = make(
                database_url=url, kafka_bootstrap_servers="memory://", environment="test"
            )
            module = importlib.import_module(f"services.{service}.app")
            app = module.create_app(settings, bus=InMemoryBus())
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://test")
            )
            response = await client.get("/metrics")
            assert response.status_code == 200, f"{service} does not serve /metrics"
            for family in text_string_to_metric_families(response.text):
                names.add(family.name)
                suffixes = {
                    "counter": ("_total",),
                    "histogram": ("_bucket", "_sum", "_count"),
                }.get(family.type, ())
                names.update(family.name + suffix for suffix in suffixes)
        yield names


async def test_the_dashboard_queries_only_metrics_the_services_expose(exposed: set[str]) -> None:
    dashboard = yaml.safe_load(DASHBOARD.read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\bpledgeflow_[a-z0-9_]+", target["expr"])
    }
    assert queried, "the dashboard queries nothing"
    unknown = sorted(queried - exposed)
    assert not unknown, f"the dashboard queries metrics no service exposes: {unknown}"
    for needed in (
        "pledgeflow_consumer_lag",
        "pledgeflow_dead_letters_total",
        "pledgeflow_outbox_backlog",
        "pledgeflow_registry_filings_overdue",
        "pledgeflow_credit_loans",
    ):
        assert needed in queried, f"the dashboard does not show {needed}"


# Kubernetes


@cache
def manifests() -> list[dict[str, Any]]:
    kustomization = load(K8S / "kustomization.yaml")
    documents = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d]
    return documents


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] == kind}


def container_environment(container: dict[str, Any]) -> dict[str, str | None]:
    """The variables a container gets: from its ConfigMaps, then its own `env`."""
    found: dict[str, str | None] = {}
    maps = of_kind("ConfigMap")
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        assert name in maps, f"{container['name']} reads ConfigMap {name}, not in the manifests"
        found.update(maps[name]["data"])
    for variable in container.get("env", []):
        found[variable["name"]] = variable.get("value")
    return found


def test_every_manifest_file_is_in_the_kustomization() -> None:
    listed = set(load(K8S / "kustomization.yaml")["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    examples = {name for name in on_disk if ".example." in name}
    assert on_disk - examples == listed


@pytest.mark.parametrize("service", APPS)
def test_each_service_runs_after_its_migrations_with_probes_and_resources(service: str) -> None:
    deployment = of_kind("Deployment").get(service)
    assert deployment, f"no Deployment for {service}"
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == ["python", "-m", f"services.{service}"]
    env = container_environment(container)
    port = int(env[f"{prefix(service)}HTTP_PORT"] or 0)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports.get("http") == port, f"{service} serves on {port}, the container says {ports}"
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        check = container.get(probe, {}).get("httpGet", {})
        assert check.get("path") == path, f"{service} {probe} should GET {path}"
        assert check.get("port") in ("http", port)
    resources = container.get("resources", {})
    assert resources.get("requests", {}).get("cpu") and resources["requests"].get("memory")
    assert resources.get("limits", {}).get("memory"), f"{service} has no memory limit"
    assert env.get(f"{prefix(service)}HTTP_HOST") == "0.0.0.0"

    migrations = [c for c in pod.get("initContainers", []) if c["name"] == "migrate"]
    assert len(migrations) == 1, f"{service} should have one migrate init container"
    [migrate] = migrations
    assert migrate["command"] == ["python", "-m", "shared.migrations", service], (
        f"{service} should migrate its database before it starts"
    )
    database = f"{prefix(service)}DATABASE_URL"
    source = {v["name"]: v.get("valueFrom") for v in container["env"]}
    migrated = {v["name"]: v.get("valueFrom") for v in migrate["env"]}
    assert source.get(database) and source[database] == migrated.get(database), (
        f"{service} and its migrations must read the same {database}"
    )
    assert "secretKeyRef" in source[database], "database URLs hold passwords: keep them in a Secret"

    service_object = of_kind("Service")[service]
    [exposed_port] = service_object["spec"]["ports"]
    assert exposed_port["port"] == port and exposed_port["targetPort"] in ("http", port)
    assert service_object["spec"]["selector"].items() <= (
        deployment["spec"]["template"]["metadata"]["labels"].items()
    )


@pytest.mark.parametrize("service", APPS)
def test_manifest_variables_are_settings_and_load_as_production(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [container] = of_kind("Deployment")[service]["spec"]["template"]["spec"]["containers"]
    env = container_environment(container)
    fields = {name.upper() for name in settings_class(service).model_fields}
    for key in env:
        assert key.startswith(prefix(service)), f"{service}: {key} is not one of its settings"
        assert key.removeprefix(prefix(service)) in fields, f"{service}: {key} is not a setting"
    for key in list(os.environ):
        if key.upper().startswith("PLEDGEFLOW_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value or "postgresql+asyncpg://u:p@db:5432/d")
    settings = load_settings(service)
    assert settings.environment == "production"
    assert settings.kafka_replication_factor >= 3, "a cluster keeps three copies of each topic"
    mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
    for field in ("AUTH_ISSUERS_FILE", "STAFF_FILE", "ISSUER_KEYS"):
        path = env.get(prefix(service) + field)
        if path:
            assert any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts), (
                f"{service}: {path} is not inside a mounted volume {mounts}"
            )


def test_compose_and_kubernetes_serve_each_service_on_the_same_port() -> None:
    for service in APPS:
        [container] = of_kind("Deployment")[service]["spec"]["template"]["spec"]["containers"]
        port = container_environment(container)[f"{prefix(service)}HTTP_PORT"]
        assert port == environment(service)[f"{prefix(service)}HTTP_PORT"]
