"""Mutation testing of the domain and the core infrastructure, in bounded time.

mutmut 3 copies the code into a ``mutants/`` folder, plants every mutant behind a switch, and
for each mutant runs only the tests that reach the mutated function. This driver gives each
*group* of modules its own working folder under ``.mutation/`` with its own test selection
(the fast unit tests for the domain, the contract and integration tests that exercise the
outbox, inbox, consumer and deduplication code for the infrastructure), so results of one
group never invalidate another's, and it can sample mutants so that a run on this small
machine stays within a chosen size:

    python -m tools.mutation                      # every group, every mutant
    python -m tools.mutation --sample 80          # at most 80 mutants per module
    python -m tools.mutation shared/outbox.py     # one module (or a glob)
    python -m tools.mutation --group credit-domain --sample 120 --jobs 2
    python -m tools.mutation --report             # the figures of the last runs, no new run
    python -m tools.mutation --report --survivors shared/outbox.py   # what survived, as diffs
    python -m tools.mutation --rerun-survivors --sample 80  # after new tests: the survivors only

The score of a module is killed / (killed + survived + no tests) over the mutants tried;
mutants that ran out of time count as killed (the mutation made the code hang), and mutants
listed in ``tools/mutation_equivalents.toml`` (mutations that change no behaviour) are left
out of the score and listed with the reason.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"

# What mutmut needs in a group's folder: the packages it mutates and imports, and the files
# the selected tests read (the banks' policy file, the contracts, the deployment files).
LINKED = [
    "services",
    "shared",
    "bench",
    "tests",
    "config",
    "contracts",
    "deploy",
    "examples",
    "docker-compose.yml",
    "README.md",
    "Makefile",
    "uv.lock",
]


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]  # globs of the files mutated
    tests: tuple[str, ...]  # globs of the test files run against them
    options: tuple[str, ...] = ()  # further pytest arguments narrowing that selection


GROUPS = (
    Group(
        "valuation-domain",
        ("services/valuation/domain/*.py",),
        ("tests/unit/test_valuation_*.py", "tests/unit/test_domain_laws.py"),
    ),
    Group(
        "credit-domain",
        ("services/credit/domain/*.py",),
        (
            "tests/unit/test_credit_*.py",
            "tests/unit/test_bank_directory.py",
            "tests/unit/test_domain_laws.py",
        ),
    ),
    Group(
        "registry-domain",
        ("services/registry/domain/*.py",),
        ("tests/unit/test_registry_*.py", "tests/unit/test_register_*.py"),
    ),
    Group(
        "console-domain",
        ("services/console/domain/*.py",),
        ("tests/unit/test_console_*.py",),
    ),
    Group(
        "calendar-and-identifiers",
        ("shared/workdays.py", "shared/identifiers.py"),
        (
            "tests/unit/test_workdays.py",
            "tests/unit/test_dates.py",
            "tests/unit/test_holidays.py",
            "tests/unit/test_calendar_book.py",
            "tests/unit/test_identifiers.py",
            "tests/unit/test_registry_checks.py",
            "tests/unit/test_calendar_and_identifier_refusals.py",
            "tests/unit/test_domain_laws.py",
        ),
    ),
    Group(
        "infrastructure",
        (
            "shared/outbox.py",
            "shared/uow.py",
            "shared/consumer.py",
            "shared/idempotency.py",
            "shared/dedup.py",
            "shared/retry.py",
        ),
        (
            "tests/unit/test_infrastructure.py",
            "tests/unit/test_valuation_service.py",
            "tests/contract/test_outbox_inbox.py",
            "tests/integration/test_credit_idempotency.py",
        ),
        # The contract tests run on PostgreSQL with the in-memory broker: the broker's own
        # client is not what is mutated, and starting one per mutant would cost minutes.
        ("-k", "not kafka"),
    ),
)

KILLED = {1, 3, 36, 37, -24, 152, 24, -9, 137}  # failed tests, pytest crash, timeouts, type check
SURVIVED = {0}
NO_TESTS = {5, 33}


def slug_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def module_of_mutant(name: str) -> str:
    """``services.credit.domain.policy.x_parse__mutmut_3`` -> ``services.credit.domain.policy``."""
    head = name.split("__mutmut_")[0]
    parts = head.split(".")
    while parts and (parts[-1].startswith("x_") or parts[-1].startswith("xǁ")):
        parts.pop()
    return ".".join(parts)


def expand(globs: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for pattern in globs:
        for path in sorted(ROOT.glob(pattern)):
            rel = str(path.relative_to(ROOT))
            if path.name != "__init__.py" and path.stat().st_size > 0 and rel not in found:
                found.append(rel)
    return found


def prepare(group: Group) -> Path:
    """Lay out the group's folder: links to the project, a pyproject naming what to mutate."""
    folder = WORK / group.name
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = folder / name
        if not link.exists() and (ROOT / name).exists():
            link.symlink_to(ROOT / name)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    base = project.get("tool", {}).get("mutmut", {})
    text = (ROOT / "pyproject.toml").read_text()
    # drop the project's own [tool.mutmut] table and write the group's in its place
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.strip() == "[tool.mutmut]"
        if not skipping:
            kept.append(line)
    tests = [str(p.relative_to(ROOT)) for t in group.tests for p in sorted(ROOT.glob(t))]
    table = {
        **base,
        "only_mutate": list(group.modules),
        "pytest_add_cli_args_test_selection": [*tests, *group.options],
    }
    kept.append("\n[tool.mutmut]")
    for key, value in table.items():
        kept.append(f"{key} = {json.dumps(value)}")
    generated = "\n".join(kept) + "\n"
    target = folder / "pyproject.toml"
    if not target.exists() or target.read_text() != generated:
        target.write_text(generated)
    return folder


def mutmut(folder: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run mutmut in a group's folder; with `log`, its progress goes there as it happens."""
    env = {**os.environ, "PYTHONPATH": ""}
    exe = str(Path(sys.executable).with_name("mutmut"))
    if log is None:
        return subprocess.run(
            [exe, *args], cwd=folder, env=env, text=True, capture_output=True, check=False
        )
    with log.open("w") as out:
        return subprocess.run(
            [exe, *args], cwd=folder, env=env, text=True, stdout=out, stderr=out, check=False
        )


GENERATE = """
import sys
from mutmut.__main__ import copy_src_dir, copy_also_copy_files, create_mutants
from pathlib import Path
Path("mutants").mkdir(exist_ok=True)
copy_src_dir()
copy_also_copy_files()
create_mutants(int(sys.argv[1]))
"""


def generate(folder: Path, jobs: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", GENERATE, str(jobs)],
        cwd=folder,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"mutant generation failed in {folder}:\n{done.stdout}\n{done.stderr}")


def results(folder: Path, module: str) -> dict[str, int | None]:
    meta = folder / "mutants" / (module + ".meta")
    if not meta.exists():
        return {}
    data = json.loads(meta.read_text())
    return dict(data.get("exit_code_by_key", {}))


def equivalents() -> dict[str, str]:
    if not EQUIVALENTS.exists():
        return {}
    return {k: str(v) for k, v in tomllib.loads(EQUIVALENTS.read_text()).items()}


def selected_groups(args: argparse.Namespace) -> list[tuple[Group, list[str]]]:
    chosen: list[tuple[Group, list[str]]] = []
    for group in GROUPS:
        if args.group and group.name not in args.group:
            continue
        modules = expand(group.modules)
        if args.modules:
            modules = [m for m in modules if any(fnmatch.fnmatch(m, p) for p in args.modules)]
        if modules:
            chosen.append((group, modules))
    return chosen


def run_group(group: Group, modules: list[str], args: argparse.Namespace) -> None:
    folder = prepare(group)
    print(f"== {group.name}: generating mutants of {len(modules)} module(s)", flush=True)
    generate(folder, args.jobs)
    equivalent = equivalents()
    rng = random.Random(args.seed)
    names: list[str] = []
    for module in modules:
        codes = results(folder, module)
        keys = sorted(k for k in codes if k not in equivalent)
        if args.sample and len(keys) > args.sample:
            keys = sorted(rng.sample(keys, args.sample))
        if args.rerun_survivors:
            keys = [k for k in keys if codes[k] in SURVIVED | NO_TESTS]
        names.extend(keys)
    if not names:
        return
    print(f"   running {len(names)} mutants with {args.jobs} worker(s)", flush=True)
    log = folder / "last-run.log"
    done = mutmut(folder, "run", "--max-children", str(args.jobs), *names, log=log)
    if done.returncode:
        print(f"   mutmut stopped with {done.returncode}; see {log}", flush=True)
    tried = {"modules": modules, "mutants": names, "sample": args.sample or None}
    (folder / "last-run.json").write_text(json.dumps(tried, indent=1))


@dataclass
class Figures:
    module: str
    mutants: int
    tried: int
    killed: int
    survived: int
    no_tests: int
    equivalent: int
    sample: int | None

    @property
    def score(self) -> float:
        judged = self.killed + self.survived + self.no_tests
        return 100.0 * self.killed / judged if judged else 0.0


def figures(group: Group, modules: list[str]) -> list[tuple[Figures, list[str]]]:
    folder = WORK / group.name
    last = folder / "last-run.json"
    sample = json.loads(last.read_text()).get("sample") if last.exists() else None
    equivalent = equivalents()
    out = []
    for module in modules:
        codes = results(folder, module)
        if not codes:
            continue
        tried = {k: v for k, v in codes.items() if v is not None and k not in equivalent}
        survivors = sorted(k for k, v in tried.items() if v in SURVIVED or v in NO_TESTS)
        out.append(
            (
                Figures(
                    module=module,
                    mutants=len(codes),
                    tried=len(tried),
                    killed=sum(1 for v in tried.values() if v not in SURVIVED | NO_TESTS),
                    survived=sum(1 for v in tried.values() if v in SURVIVED),
                    no_tests=sum(1 for v in tried.values() if v in NO_TESTS),
                    equivalent=sum(1 for k in codes if k in equivalent),
                    sample=sample,
                ),
                survivors,
            )
        )
    return out


def report(chosen: list[tuple[Group, list[str]]], show_survivors: bool) -> None:
    rows = []
    print()
    print("| module | group | mutants | tried | killed | survived | no tests | equiv. | score |")
    print("|---|---|---|---|---|---|---|---|---|")
    for group, modules in chosen:
        for fig, survivors in figures(group, modules):
            rows.append(fig)
            print(
                f"| {fig.module} | {group.name} | {fig.mutants} | {fig.tried} | {fig.killed} "
                f"| {fig.survived} | {fig.no_tests} | {fig.equivalent} | {fig.score:.1f}% |"
            )
            if show_survivors:
                for name in survivors:
                    shown = mutmut(WORK / group.name, "show", name)
                    print(shown.stdout)
    summary = [fig.__dict__ | {"score": round(fig.score, 1)} for fig in rows]
    WORK.mkdir(exist_ok=True)
    (WORK / "summary.json").write_text(json.dumps(summary, indent=1))
    listed = equivalents()
    if listed:
        print("\nEquivalent mutants left out of the scores:")
        for name, why in sorted(listed.items()):
            print(f"  {name}: {why}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths or globs (default: all)")
    parser.add_argument("--group", action="append", choices=[g.name for g in GROUPS])
    parser.add_argument("--sample", type=int, default=0, help="at most N mutants per module")
    parser.add_argument("--seed", type=int, default=18, help="seed of the sample")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--report", action="store_true", help="print the last figures only")
    parser.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results first")
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="try again only the mutants that survived (or reached no test) last time",
    )
    args = parser.parse_args(argv)
    chosen = selected_groups(args)
    if not chosen:
        sys.exit("no module matches")
    if not args.report:
        for group, modules in chosen:
            if args.fresh:
                shutil.rmtree(WORK / group.name / "mutants", ignore_errors=True)
            run_group(group, modules, args)
    report(chosen, args.survivors)


if __name__ == "__main__":
    main()
