# pledgeflow: `make run` starts the whole system locally, `make test` runs every test.
# Both bootstrap the toolchain themselves: uv (pinned) in .uv/, the locked environment in .venv/.

UV_VERSION := 0.13.8
UV := .uv/bin/uv
PYTHON := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench demo clean chromium mutation

$(UV):
	python3 -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

run: .venv/.synced
	.venv/bin/pledgeflow run

# The console's browser tests drive Debian's Chromium; Playwright never downloads a browser.
chromium:
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y chromium; }

test: .venv/.synced chromium
	$(PYTHON) -m pytest

lint: .venv/.synced
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: .venv/.synced
	$(PYTHON) -m bench.flows

# Mutation testing of the domain and the core infrastructure (not part of `make test`).
# MUTATION_ARGS narrows it: a module glob, --group NAME, --sample N, --jobs N, --report.
MUTATION_ARGS ?= --sample 60
mutation: .venv/.synced
	$(PYTHON) -m tools.mutation $(MUTATION_ARGS)

clean:
	rm -rf .venv .uv .data .mutation mutants
