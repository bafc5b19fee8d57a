"""The boundaries of the code base, checked on its import statements.

- no service imports another; `shared/` imports no service;
- domain code (each service's `domain/` and `shared/kernel/`) imports no framework, no I/O
  library and loads no files;
- adapters do not import the service layer;
- `shared/` has no import cycle, and nothing below its HTTP layer imports FastAPI;
- no service code commits a transaction: only the message bus does.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "valuation", "credit", "console")

FRAMEWORKS_AND_IO = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "alembic",
    "aiokafka",
    "httpx",
    "asyncpg",
    "aiosqlite",
    "uvicorn",
    "yaml",
    "jwt",
    "pathlib",
    "io",
    "os",
    "socket",
    "subprocess",
    "logging",
    "shared.bus",
    "shared.db",
    "shared.uow",
    "shared.http",
    "shared.runtime",
)
# The HTTP layer of `shared/`, and what runs services or operates them; everything else in
# `shared/` must work without FastAPI.
HTTP_LAYER = (
    "shared.http",
    "shared.problems",
    "shared.body_limit",
    "shared.auth",
    "shared.idempotency",
    "shared.openapi",
    "shared.audit",
    "shared.tokens",
    "shared.issuer",
    "shared.calendar_api",
)
TOOLS = (
    "shared.cli",
    "shared.devstack",
    "shared.devreplicas",
    "shared.devconsole",
    "shared.ops",
    "shared.contracts",
    "shared.serve",
)


@dataclass(frozen=True)
class Import:
    module: str
    imported: str
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(*folders: str, root: Path = ROOT) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((root / folder).rglob("*.py"))


def imports_of(path: Path, root: Path = ROOT) -> Iterator[Import]:
    """Imports that run when the module is imported (those under TYPE_CHECKING do not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _runtime_nodes(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(module, base, node.lineno)
            for alias in node.names:
                yield Import(module, f"{base}.{alias.name}", node.lineno)


def _runtime_nodes(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _runtime_nodes([child])


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(
    folders: tuple[str, ...], forbidden: tuple[str, ...], where: str, root: Path = ROOT
) -> list[str]:
    found = []
    for path in python_files(*folders, root=root):
        for imported in imports_of(path, root):
            if any(_within(imported.imported, prefix) for prefix in forbidden):
                found.append(
                    f"{where}: {imported.module}:{imported.line} imports {imported.imported}"
                )
    return sorted(set(found))


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    others = tuple(f"services.{other}" for other in SERVICES if other != service)
    assert violations((f"services/{service}",), others, "service boundary") == []


def test_shared_imports_no_service() -> None:
    assert violations(("shared",), ("services",), "shared") == []


@pytest.mark.parametrize("folder", [*(f"services/{s}/domain" for s in SERVICES), "shared/kernel"])
def test_domain_code_imports_no_framework_io_or_file_loading(folder: str) -> None:
    assert violations((folder,), FRAMEWORKS_AND_IO, "domain") == []
    opened = [
        f"{path}:{node.lineno}"
        for path in python_files(folder)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in {"open", "Path"}
    ]
    assert opened == []


@pytest.mark.parametrize("service", SERVICES)
def test_adapters_do_not_import_the_service_layer(service: str) -> None:
    layer = (f"services.{service}.service_layer",)
    assert violations((f"services/{service}/adapters",), layer, "adapters") == []


def test_shared_has_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in python_files("shared"):
        module = module_name(path)
        graph.setdefault(module, set())
        for imported in imports_of(path):
            if _within(imported.imported, "shared") and imported.imported != module:
                graph[module].add(imported.imported)
    known = set(graph)
    edges = {m: {t for t in targets if t in known} for m, targets in graph.items()}
    cycle = _find_cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_nothing_below_the_http_layer_imports_fastapi() -> None:
    below = [
        module_name(path)
        for path in python_files("shared")
        if not any(_within(module_name(path), top) for top in HTTP_LAYER + TOOLS)
    ]
    probe = (
        "import importlib, sys\n"
        f"for name in {below!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_service_code_commits_a_transaction() -> None:
    commits = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files(*(f"services/{s}" for s in SERVICES))
        if "migrations" not in path.parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]
    assert commits == []


def test_the_checks_see_a_crossed_boundary(tmp_path: Path) -> None:
    """The import reader finds what a boundary check must refuse (guards the checks above)."""
    domain = tmp_path / "services" / "credit" / "domain"
    domain.mkdir(parents=True)
    crossing = domain / "crossing.py"
    crossing.write_text(
        "from services.registry.domain import pledge\n"
        "import sqlalchemy\n"
        "from ..adapters import orm\n"
        "if TYPE_CHECKING:\n"
        "    import fastapi\n"
    )
    found = {i.imported for i in imports_of(crossing, tmp_path)}
    assert {"services.registry.domain", "sqlalchemy", "services.credit.adapters"} <= found
    assert "fastapi" not in found
    refused = violations(("services/credit/domain",), ("sqlalchemy",), "domain", tmp_path)
    assert refused == ["domain: services.credit.domain.crossing:2 imports sqlalchemy"]
