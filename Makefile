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

.PHONY: help setup demo test test-contracts test-python lint bench snapshot clean fuzz

help:
	@echo "make demo   - set up, start two local ledgers, deploy, run the regulator demo"
	@echo "make test   - set up, run the Solidity (forge) and Python (pytest) suites"
	@echo "make lint   - Slither static analysis of contracts/src (fails on any medium or high finding)"
	@echo "make bench  - gas benchmark of the settlement contracts (JSON)"
	@echo "make fuzz   - long fuzz and invariant runs (profile deep: 2048 runs x depth 256)"

# ─── setup: npm toolchain (anvil, forge, solc, OpenZeppelin, forge-std) and the Python venv ───
node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@test -x "$(FORGE)" || { echo "native forge binary missing at $(FORGE)"; exit 1; }
	touch $@

$(BIN)/.stamp: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: node_modules/.stamp $(BIN)/.stamp

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

# ─── static analysis: Slither in its own venv (it pins web3 < 8), on its own build output so the
#     forge cache that `make test` relies on stays untouched ──────────────────────────────────
SLITHER_VENV := .venv-slither
$(SLITHER_VENV)/.stamp:
	test -d $(SLITHER_VENV) || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet slither-analyzer==0.11.6
	touch $@

lint: node_modules/.stamp $(SLITHER_VENV)/.stamp
	rm -rf contracts/out-slither contracts/cache-slither
	cd contracts && "$(FORGE)" build --build-info --out out-slither --cache-path cache-slither --skip test --skip script
	cd contracts && "$(CURDIR)/$(SLITHER_VENV)/bin/slither" . --ignore-compile --foundry-out-directory out-slither \
		--filter-paths "node_modules|test|script" --fail-medium

bench: setup
	$(BIN)/python scripts/bench_gas.py

snapshot: node_modules/.stamp
	cd contracts && "$(FORGE)" snapshot

clean:
	rm -rf contracts/out contracts/cache contracts/out-slither contracts/cache-slither .corridor .pytest_cache
