# Corridor — the two commands: `make demo` and `make test`. Both set everything up themselves.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FOUNDRY_BIN := $(CURDIR)/node_modules/@foundry-rs/forge-linux-amd64/bin
FORGE := $(FOUNDRY_BIN)/forge
export PATH := $(FOUNDRY_BIN):$(PATH)

.PHONY: help setup demo test test-contracts test-python lint lint-selftest bench snapshot clean fuzz

help:
	@echo "make demo   - set up, start two local ledgers, deploy, run the regulator demo"
	@echo "make test   - set up, run the Solidity (forge) and Python (pytest) suites"
	@echo "make setup  - only the set-up: .venv (the corridor command: .venv/bin/corridor up) and the npm toolchain"
	@echo "make lint   - Slither gate on contracts/src (fails on a high/medium finding or an incomplete analysis),"
	@echo "              then its self-test (a planted transferFrom drain in each contract must fail it)"
	@echo "make bench  - gas benchmark of the settlement contracts (JSON)"
	@echo "make fuzz   - long fuzz and invariant runs (profile deep: 2048 runs x depth 256)"

# ─── setup: npm toolchain (anvil, forge, solc, OpenZeppelin, forge-std) and the Python venv ───
# --ignore-scripts: no package needs its install script (npm 11 skips them anyway; npm 10 would run, among
# others, swagger-ui-dist's analytics dependency, which phones home)
node_modules/.stamp: package.json package-lock.json
	SCARF_ANALYTICS=false npm ci --no-audit --no-fund --ignore-scripts
	@test -x "$(FORGE)" || { echo "native forge binary missing at $(FORGE)"; exit 1; }
	touch $@

# the front-end assets the bridge serves (Swagger UI, ReDoc, htmx, Chart.js), copied from node_modules into
# the Python packages (tools/web-assets.json): the console and /docs work offline
WEB_ASSETS := .corridor/web-assets.stamp
$(WEB_ASSETS): node_modules/.stamp tools/web-assets.json tools/vendor_web_assets.py
	$(PYTHON) tools/vendor_web_assets.py
	mkdir -p $(dir $@) && touch $@

$(BIN)/.stamp: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: node_modules/.stamp $(BIN)/.stamp $(WEB_ASSETS)

# ─── the two commands ──────────────────────────────────────────────────────────────────────
demo: setup
	$(BIN)/corridor demo

test: setup test-contracts test-python

test-contracts: node_modules/.stamp
	cd contracts && FOUNDRY_PROFILE=ci "$(FORGE)" test

fuzz: node_modules/.stamp
	cd contracts && FOUNDRY_PROFILE=deep "$(FORGE)" test --match-path 'test/{unit,invariant}/*'

test-python: setup
	$(BIN)/python -m pytest

# ─── static analysis: Slither in its own venv (it pins web3 < 8) through tools/slither_gate.py, which builds
#     contracts/src under the `slither` forge profile (own out/cache: `make test`'s forge cache stays valid)
#     and passes only a complete analysis with no high/medium finding in src/. scripts/lint_selftest.py then
#     plants issue #11's `sweep` drain into every contract of a copy and checks the same gate fails on each.
#     Both always run; lint fails if either does. Reports: reports/slither.json. ────────────────────────────
SLITHER_VENV := .venv-slither
SLITHER_PY := $(SLITHER_VENV)/bin/python
$(SLITHER_VENV)/.stamp: tools/slither-requirements.txt
	test -d $(SLITHER_VENV) || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_PY) -m pip install --quiet -r tools/slither-requirements.txt
	touch $@

lint: node_modules/.stamp $(SLITHER_VENV)/.stamp
	mkdir -p reports
	rm -f reports/slither.json
	status=0; \
	$(SLITHER_PY) tools/slither_gate.py contracts --forge "$(FORGE)" --json reports/slither.json || status=1; \
	$(SLITHER_PY) scripts/lint_selftest.py --pristine-report reports/slither.json || status=1; \
	exit $$status

lint-selftest: node_modules/.stamp $(SLITHER_VENV)/.stamp
	$(SLITHER_PY) scripts/lint_selftest.py

bench: setup
	$(BIN)/python scripts/bench_gas.py

snapshot: node_modules/.stamp
	cd contracts && "$(FORGE)" snapshot

clean:
	rm -rf contracts/out contracts/cache contracts/out-slither contracts/cache-slither .corridor .pytest_cache
