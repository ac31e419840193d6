# Vigie's set-up and entry points. `make demo` and `make test` each install what they need on a fresh
# Debian machine with Python 3.11: the Prometheus tools from Debian, the Python dependencies in .venv.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := prometheus prometheus-alertmanager prometheus-pushgateway
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup tools demo test lint bench clean

setup: tools $(VENV)/.installed

# Debian's Prometheus (2.42), Alertmanager (0.25) and Pushgateway; apt-get only when one is missing.
tools:
	@if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null \
	   || ! command -v prometheus-alertmanager >/dev/null || ! command -v prometheus-pushgateway >/dev/null; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The main job: render every stack and check it with promtool and amtool.
demo: setup
	$(BIN)/vigie render --all
	$(BIN)/vigie check --all

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every test: lint and types, generated/ freshness, then the whole pytest suite.
test: lint
	$(BIN)/vigie render --all --check
	$(BIN)/pytest

clean:
	rm -rf run .pytest_cache .mypy_cache .ruff_cache
