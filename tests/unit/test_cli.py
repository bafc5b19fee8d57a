"""`pledgeflow` without a running system: help, options anywhere, and the failures an operator
meets first (broker down, no credential, database unreachable, ports taken) as one line and a
documented exit code."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from typer.main import get_command
from typer.testing import CliRunner, Result

from shared.cli import credentials, stack
from shared.cli.app import app
from shared.cli.common import CommandGroup
from shared.devstack import free_port
from shared.migrations import DATABASES, SERVICES
from shared.tokens import Role

RUNNER = CliRunner()
CALENDAR = """\
year: 2027
notice: {reference: 国办发明电〔2026〕9号, published_on: 2026-11-12}
holidays: [2027-01-01]
makeup_workdays: []
"""


def pledgeflow(*args: str, env: dict[str, str] | None = None) -> Result:
    return RUNNER.invoke(app, list(args), env=env)


def one_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def command_paths(command: object = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    command = command or get_command(app)
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from command_paths(sub, (*path, name))


@pytest.mark.parametrize("path", list(command_paths()), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = pledgeflow(*path, "--help")
    assert result.exit_code == 0, result.output
    assert f"pledgeflow {' '.join(path)}".strip() in result.stdout


def test_the_help_groups_commands_by_audience_and_lists_the_exit_codes() -> None:
    help_text = pledgeflow("--help").stdout
    for panel in ("Run and deploy", "Operate the running system", "Registry office", "Access"):
        assert panel in help_text
    for command in ("run", "migrate", "history", "dead-letters", "replay", "calendar"):
        assert command in help_text
    assert "4 no credential" in " ".join(help_text.split())


def test_the_names_in_help_are_the_ones_the_services_know() -> None:
    assert set(credentials.ROLES) == {role.value for role in Role}
    assert credentials.AUDIENCES == SERVICES
    assert stack.DATABASES == DATABASES


@pytest.fixture
def nothing_listens() -> str:
    return f"127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "case-1", "--bootstrap", "{broker}"],
        ["--bootstrap", "{broker}", "history", "case-1"],
        ["dead-letters", "--bootstrap", "{broker}", "credit.pledges"],
        ["dead-letters", "--bootstrap", "{broker}"],
        ["replay", "credit.pledges", "some-event", "--bootstrap", "{broker}"],
        ["--json", "replay", "credit.pledges", "--all", "--bootstrap", "{broker}"],
    ],
    ids=lambda argv: " ".join(a for a in argv if a != "{broker}"),
)
def test_a_broker_that_is_down_is_one_line_and_exit_3(
    argv: list[str], nothing_listens: str
) -> None:
    result = pledgeflow(*(a.format(broker=nothing_listens) for a in argv))
    assert result.exit_code == 3
    line = one_line(result)
    assert f"cannot reach the broker at {nothing_listens}" in line
    assert "PLEDGEFLOW_KAFKA_BOOTSTRAP_SERVERS" in line and "pledgeflow run" in line
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "variable", ["PLEDGEFLOW_KAFKA_BOOTSTRAP_SERVERS", "PLEDGEFLOW_CREDIT_KAFKA_BOOTSTRAP_SERVERS"]
)
def test_the_broker_is_read_from_the_variables_the_services_read(
    variable: str, nothing_listens: str
) -> None:
    result = pledgeflow("history", "case-1", env={variable: nothing_listens})
    assert result.exit_code == 3
    assert f"cannot reach the broker at {nothing_listens}" in one_line(result)


def test_an_option_after_the_command_wins_over_the_environment(nothing_listens: str) -> None:
    env = {"PLEDGEFLOW_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    result = pledgeflow("history", "case-1", "--bootstrap", nothing_listens, env=env)
    assert f"at {nothing_listens}" in one_line(result)


@pytest.mark.parametrize("where", ["before", "after", "environment"])
def test_debug_shows_the_traceback_as_well(where: str, nothing_listens: str) -> None:
    argv = ["history", "case-1", "--bootstrap", nothing_listens]
    argv = {"before": ["--debug", *argv], "after": [*argv, "--debug"], "environment": argv}[where]
    env = {"PLEDGEFLOW_DEBUG": "1"} if where == "environment" else None
    result = pledgeflow(*argv, env=env)
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "KafkaConnectionError" in result.stderr
    assert "cannot reach the broker" in one_line(result)


def test_replay_wants_event_ids_or_all() -> None:
    result = pledgeflow("replay", "credit.pledges")
    assert result.exit_code == 2
    assert "--all" in result.output


def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "2027.yaml"
    path.write_text(CALENDAR, encoding="utf-8")
    return path


def test_loading_the_calendar_without_a_credential_says_which_to_use(tmp_path: Path) -> None:
    result = pledgeflow(
        "calendar", "load", "2027", str(calendar_file(tmp_path)), "--registry", "http://127.0.0.1:9"
    )
    assert result.exit_code == 4
    line = one_line(result)
    assert "no credential" in line and "PLEDGEFLOW_TOKEN" in line
    assert "pledgeflow credentials issue <your id> supervisor --audience registry" in line


def test_a_registry_that_is_down_is_one_line_and_exit_3(tmp_path: Path) -> None:
    registry = f"http://127.0.0.1:{free_port()}"
    env = {"PLEDGEFLOW_TOKEN": "a-token", "PLEDGEFLOW_REGISTRY_URL": registry}
    for argv in (["load", "2027", str(calendar_file(tmp_path))], ["show", "2027"]):
        result = pledgeflow("calendar", *argv, env=env)
        assert result.exit_code == 3
        line = one_line(result)
        assert f"cannot reach the registry at {registry}" in line
        assert "PLEDGEFLOW_REGISTRY_URL" in line


def test_a_file_for_another_year_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    result = pledgeflow(
        "calendar", "load", "2028", str(calendar_file(tmp_path)), "--token", "t",
        "--registry", "http://127.0.0.1:9",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "schedule of 2027, not 2028" in one_line(result)
    assert "nothing was sent" in one_line(result)


def test_migrate_brings_the_named_databases_to_head(tmp_path: Path) -> None:
    env = {f"PLEDGEFLOW_{s.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / s}.db" for s in SERVICES}
    env = {key: url.replace("sqlite://", "sqlite+aiosqlite://") for key, url in env.items()}
    result = pledgeflow("migrate", "registry", "credit", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert [d["database"] for d in json.loads(result.stdout)] == ["registry", "credit"]
    tables = sqlalchemy.inspect(sqlalchemy.create_engine(f"sqlite:///{tmp_path}/registry.db"))
    assert "alembic_version" in tables.get_table_names()
    assert not (tmp_path / "valuation.db").exists()


def test_migrate_names_the_variable_of_a_database_it_cannot_reach() -> None:
    url = f"postgresql+asyncpg://postgres:secret@127.0.0.1:{free_port()}/registry"
    result = pledgeflow("migrate", "registry", env={"PLEDGEFLOW_REGISTRY_DATABASE_URL": url})
    assert result.exit_code == 3
    line = one_line(result)
    assert "cannot reach the registry database" in line
    assert "PLEDGEFLOW_REGISTRY_DATABASE_URL" in line
    assert "secret" not in line


def test_migrate_refuses_an_unknown_database() -> None:
    result = pledgeflow("migrate", "ledger")
    assert result.exit_code == 2
    assert "ledger: not a database" in result.output and "console" in result.output


def test_run_refuses_ports_in_use_and_names_the_options(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pledgeflow(
            "run", "--data-dir", str(tmp_path), "--broker-port", str(free_port()),
            "--registry-port", str(port), "--valuation-port", str(free_port()),
            "--credit-port", str(free_port()), "--console-port", str(free_port()),
        )  # fmt: skip
    assert result.exit_code == 1
    line = one_line(result)
    assert f"registry port {port}" in line and "--registry-port" in line
    assert not (tmp_path / "logs").exists()


def test_contracts_match_the_code() -> None:
    result = pledgeflow("contracts", "check")
    assert result.exit_code == 0, result.output
    assert "matches the code" in result.stdout


def test_version() -> None:
    result = pledgeflow("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("pledgeflow ")


def test_an_unknown_command_is_a_usage_error() -> None:
    result = pledgeflow("load-calendar")
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_the_command_is_installed_in_the_environment() -> None:
    installed = Path(sys.executable).with_name("pledgeflow")
    result = subprocess.run(
        [installed, "history", "case-1", "--bootstrap", f"127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.startswith("error: cannot reach the broker") and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("words", "expected"),
    [("pledgeflow cal", {"calendar"}), ("pledgeflow credentials issue clerk-1 s", {"supervisor"})],
)
def test_the_shell_completes_commands_and_roles(words: str, expected: set[str]) -> None:
    env = {
        **os.environ,
        "_PLEDGEFLOW_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    installed = Path(sys.executable).with_name("pledgeflow")
    result = subprocess.run([installed], env=env, capture_output=True, text=True, check=True)
    assert set(result.stdout.split()) == expected


def test_invalid_settings_of_a_service_are_a_usage_error_naming_its_variables() -> None:
    production = {"PLEDGEFLOW_REGISTRY_ENVIRONMENT": "production"}
    result = pledgeflow("migrate", "registry", env=production)
    assert result.exit_code == 2
    line = one_line(result)
    assert "production needs PostgreSQL" in line and "PLEDGEFLOW_REGISTRY_*" in line


def test_a_new_group_gets_the_same_failures_without_code_of_its_own() -> None:
    group = CommandGroup(name="ledger")

    @group.command()
    def verify() -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    @group.command()
    def rebuild() -> None:
        raise KeyError("read model")

    refused = RUNNER.invoke(group, ["verify"])
    assert refused.exit_code == 3
    assert "cannot connect" in one_line(refused) and "5432" in one_line(refused)
    broken = RUNNER.invoke(group, ["rebuild"])
    assert broken.exit_code == 1
    assert "KeyError" in one_line(broken) and "--debug" in one_line(broken)


def test_contracts_out_of_date_exit_1_until_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import contracts

    published = tmp_path / "contracts"
    monkeypatch.setattr(contracts, "ROOT", tmp_path)
    monkeypatch.setattr(contracts, "CONTRACTS", published)
    monkeypatch.setattr(contracts, "SCHEMAS", published / "schemas")
    monkeypatch.setattr(contracts, "ASYNCAPI", published / "asyncapi.yaml")
    stale = pledgeflow("contracts", "check", "--json")
    assert stale.exit_code == 1
    assert "contracts/asyncapi.yaml: out of date; run pledgeflow contracts write" in json.loads(
        stale.stdout
    )
    assert pledgeflow("contracts", "write").exit_code == 0
    assert (published / "asyncapi.yaml").is_file()
    assert pledgeflow("contracts", "check").exit_code == 0
