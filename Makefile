# Tier0 — two commands do everything: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
TIER0 := $(VENV)/bin/tier0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TOKENIZERS_PARALLELISM := false
TIER0_PORT ?= 8000
export TIER0_PORT

# Some machines' pip configuration names local indexes that do not exist; hide only that warning.
QUIET_PIP := { grep -v "^WARNING: Location '.*' is ignored" || true; }
# Reinstall when the project's dependencies change.
DEPS_STAMP := $(VENV)/.stamp-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: help setup env rasa-env model browser rasa-relock db demo run test test-fast lint format bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: env rasa-env browser db demo ## Create both environments, install the test browser, load the demo help centre

env: $(DEPS_STAMP) ## The main Python 3.11 environment (web, kb, action server, tests)

$(DEPS_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null && $(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
	  || { echo "Tier0 needs Python 3.11 as '$(PYTHON)' (set PYTHON=/path/to/python3.11)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Tier0 and its dependencies into $(VENV) …"
	@$(PY) -m pip install -q --upgrade pip 2>&1 | $(QUIET_PIP)
	@# torch first, pinned, so no resolver ever reaches for a CUDA build.
	@$(PY) -m pip install -q torch==2.13.0 2>&1 | $(QUIET_PIP)
	@$(PY) -m pip install -q -e '.[dev]' 2>&1 | $(QUIET_PIP)
	@rm -f $(VENV)/.stamp-* && touch $@

rasa-env: ## The Rasa server's own Python 3.10 environment (cached outside the checkout)
	@bash scripts/rasa-venv.sh

model: env rasa-env ## Train the Rasa model if config.yml, bot/domain.yml, training_data/ or the embedding model changed (cached)
	@bash scripts/train-rasa.sh

browser: ## Debian's chromium for the browser tests (Playwright drives it; no browser download)
	@command -v chromium >/dev/null || bash scripts/install-chromium.sh

rasa-relock: ## Regenerate bot/requirements-rasa.txt from bot/requirements-rasa.in
	@bash scripts/rasa-venv.sh --relock

db: env ## Apply database migrations
	@$(TIER0) db upgrade

demo: db ## Load the Juniper Outfitters demo help centre and build the search index
	@$(TIER0) demo

run: setup model ## Set up if needed, start the bot, the action server and the web app; print the URL
	@$(TIER0) run --port $(TIER0_PORT)

test: env rasa-env model browser ## Run every test: unit, real model, PostgreSQL, Rasa, browser
	@$(PY) -m pytest

test-fast: env ## Only the fast unit tests
	@$(PY) -m pytest -m "not model and not postgres and not rasa and not browser"

lint: env ## ruff and mypy
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

format: env ## Format the code with ruff
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench: env ## Run the benchmarks and print their tables
	@$(PY) -m benchmarks

clean: ## Remove the local data, caches and the main environment
	rm -rf data .pytest_cache .mypy_cache .ruff_cache $(VENV) .venv-rasa
