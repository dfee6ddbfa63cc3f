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

.PHONY: help setup train db env run test demo validate lock bench clean

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

setup: ## create .venv with the locked versions (skipped when current)
	@scripts/setup.sh

train: setup ## train the Rasa model when data or config changed (cached by hash)
	@scripts/train.sh

db: setup ## create or migrate the case database
	@$(BIN)/hotline db upgrade

env: ## write RASA_TOKEN and SECRET_KEY into .env when unset
	@scripts/env.sh

run: setup train db env ## start Rasa (5005), actions (5055) and the web service (8000)
	@scripts/run.sh

test: setup train ## run the whole test suite
	@scripts/ensure-chromium.sh
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: setup db ## a demo mediator account (random password) and sample cases
	@$(BIN)/hotline demo

validate: setup ## rasa data validate, strict (bot/validate.py)
	@$(BIN)/python -m bot.validate

lock: setup ## rewrite requirements.lock from .venv
	@(echo "# Exact versions installed by scripts/setup.sh (pip freeze of a working .venv on Python 3.10)."; \
	  echo "# Regenerate with: make lock"; $(BIN)/pip freeze --exclude-editable | grep -v '^hotline') > requirements.lock

clean: ## remove trained models and local databases (keeps .venv)
	rm -rf models var .rasa results
