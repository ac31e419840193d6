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

# The main job: render and check every stack, build the model, start the local stack with prod's rules and
# routing (fast timings), drive normal, erroneous and drifted traffic, run a drift job, draw the dashboards
# and print where each alert was routed. The stack keeps running until `.venv/bin/vigie local down`.
demo: setup
	$(BIN)/vigie render --all
	$(BIN)/vigie check --all
	$(BIN)/vigie local down
	$(BIN)/vigie model train --stack prod
	$(BIN)/vigie local up --stack prod --fast
	$(BIN)/vigie local traffic --mode normal --seconds 30
	$(BIN)/vigie local traffic --mode errors --seconds 40
	$(BIN)/vigie local traffic --mode drifted --seconds 40
	$(BIN)/vigie local drift
	$(BIN)/vigie local snapshot
	$(BIN)/vigie local summary --wait-for ApiErrorRateCritical DataDriftDetected

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Every test: lint and types, generated/ freshness, then the whole pytest suite.
test: lint
	$(BIN)/vigie render --all --check
	$(BIN)/pytest

# Speed and memory goals, each measured against its baseline in the same run (never in timed tests).
bench: setup
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk)
	$(BIN)/python bench/serving_benchmark.py
	$(BIN)/python bench/drift_benchmark.py
	$(BIN)/python bench/drift_sample_size.py --repeats 200

clean:
	rm -rf run .pytest_cache .mypy_cache .ruff_cache
