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

.PHONY: help setup demo test test-contracts test-python snapshot clean

help:
	@echo "make demo   - set up, start two local ledgers, deploy, run the regulator demo"
	@echo "make test   - set up, run the Solidity (forge) and Python (pytest) suites"

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
	cd contracts && "$(FORGE)" test

test-python: setup
	$(BIN)/python -m pytest

snapshot: node_modules/.stamp
	cd contracts && "$(FORGE)" snapshot

clean:
	rm -rf contracts/out contracts/cache .corridor .pytest_cache
