# Thin wrapper: the logic lives in scripts/setup.sh.
#   make demo                         set up .venv and run the daemon on config/demo.toml
#   make test PYTEST_ARGS='-x -k mqtt' set up (incl. test deps, apt packages) and run pytest

SETUP := bash scripts/setup.sh
PYTEST_ARGS ?=
export PYTEST_ARGS

.DEFAULT_GOAL := help
.PHONY: help setup setup-test demo test lint bench clean

help:
	@echo "make setup       .venv + pinned base dependencies + the project (editable)"
	@echo "make setup-test  setup + test dependencies + system packages (apt)"
	@echo "make demo        setup, then run the daemon on config/demo.toml"
	@echo "make test        setup-test, then pytest (extra args: PYTEST_ARGS=...)"
	@echo "make lint        ruff check edge drivers tests"
	@echo "make bench       edge bench store --json"
	@echo "make clean       remove .venv and var/"

setup:
	@$(SETUP) setup

setup-test:
	@$(SETUP) setup-test

demo:
	@$(SETUP) demo

test:
	@$(SETUP) test

lint:
	@$(SETUP) lint

bench:
	@$(SETUP) bench

clean:
	@$(SETUP) clean
