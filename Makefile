# Two entry points: `make run` (the MCP server on stdio) and `make test` (lint, types, tests).
# Each creates .venv from nothing on first use. Setup output goes to stderr so that
# `make run` keeps stdout clean for JSON-RPC.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MAKEFLAGS += --no-print-directory

.PHONY: run test lint typecheck pytest compile bench docs conformance clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")' >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@touch $(STAMP)

# Byte-compile the project's own sources: the editable install leaves them uncompiled, and where the
# environment sets PYTHONDONTWRITEBYTECODE (as this project's CI does) every process would compile
# them again (0.25 s of each CLI call, hook and server start). Stale .pyc files are simply recompiled.
compile: $(STAMP)
	@$(BIN)/python -m compileall -q src tests bench >&2

run: $(STAMP) compile
	@exec $(BIN)/orchestra-mcp

test: $(STAMP)
	@$(MAKE) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) compile
	@bash tests/ensure_postgres.sh
	$(BIN)/python -m pytest -q -n 2

conformance: $(STAMP)
	$(BIN)/python -m pytest -q tests/conformance

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

docs: $(STAMP)
	$(BIN)/python -m orchestra_mcp.docgen docs/tools.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache
