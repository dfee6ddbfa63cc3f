# Two commands matter: `make run` (everything, embedded defaults) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_PORT ?= 5005
export ACTIONS_PORT ?= 5055
export WEB_PORT ?= 8000
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
export DATABASE_URL ?= sqlite:///var/hotline.db

VENV := .venv
BIN := $(VENV)/bin

.PHONY: help setup train db env vendor run test fuzz schemathesis demo validate lock bench clean

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

setup: ## create .venv with the locked versions (skipped when current)
	@scripts/setup.sh

train: setup ## train the Rasa model when data or config changed (cached by hash)
	@scripts/train.sh

db: setup ## create or migrate the case database
	@$(BIN)/hotline db upgrade

env: ## write RASA_TOKEN, SECRET_KEY, ACTIONS_SECRET and COOKIE_SECURE=0 (local HTTP) into .env when unset
	@scripts/env.sh

vendor: ## browser libraries the pages serve locally (ECharts from the npm registry)
	@scripts/ensure-vendor.sh

run: setup train db env vendor ## start Rasa (5005), actions (5055), the web service (8000) and the jobs
	@scripts/run.sh

test: setup train vendor ## run the whole test suite (starts throwaway PostgreSQL and Redis when none run)
	@scripts/ensure-chromium.sh
	@scripts/ensure-services.sh
	@scripts/ensure-schemathesis.sh
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

fuzz: setup ## 10,000 generated requests against every API route (hypothesis): no 5xx, nothing half-written
	@FUZZ_SCALE=1 $(BIN)/python -m pytest -q tests/security/test_api_properties.py

schemathesis: setup ## schemathesis against /api/openapi.json as every role, 4x the suite's time
	@scripts/ensure-schemathesis.sh
	@SCHEMATHESIS_SCALE=4 $(BIN)/python -m pytest -q tests/security/test_schemathesis.py

demo: setup db ## a demo mediator account (random password) and sample cases
	@$(BIN)/hotline demo

validate: setup ## rasa data validate, strict (bot/validate.py)
	@$(BIN)/python -m bot.validate

lock: setup ## rewrite requirements.lock from .venv
	@(echo "# Exact versions installed by scripts/setup.sh (pip freeze of a working .venv on Python 3.10)."; \
	  echo "# Regenerate with: make lock"; $(BIN)/pip freeze --exclude-editable | grep -v '^hotline') > requirements.lock

clean: ## remove trained models and local databases (keeps .venv)
	rm -rf models var .rasa results
