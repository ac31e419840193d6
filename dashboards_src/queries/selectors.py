"""Label selectors and small PromQL helpers the topic query modules share.

Selectors use the dashboards' template variables, so one dashboard reads any namespace or stack a reader picks.
"""

from __future__ import annotations

from collections.abc import Sequence

from dashboards_src import variables as v
from serving import contract as c

SCORING = f'{c.NAMESPACE}="${v.NAMESPACE}",{c.APPLICATION}="${v.APPLICATION}"'
"""The scoring service the reader picked."""
CLUSTER = f'{c.NAMESPACE}="${v.NAMESPACE}"'
"""The Ray cluster of that service (node metrics carry no application)."""
DRIFT = f'{c.JOB}="{c.DRIFT_PUSH_JOB}",{c.STACK}="${v.STACK}"'
"""The drift job's series of the stack the reader picked, as the Pushgateway groups them."""


def select(metric: str, selector: str) -> str:
    """`metric{selector}`."""
    return f"{metric}{{{selector}}}"


def rate(metric: str, selector: str, window: str = v.RATE_INTERVAL) -> str:
    """Per-second rate of a counter over Grafana's rate window by default."""
    return f"rate({select(metric, selector)}[{window}])"


def aggregate(op: str, labels: Sequence[str], expr: str) -> str:
    """`op by (labels) (expr)`, or `op(expr)` over everything when `labels` is empty."""
    return f"{op} by ({', '.join(labels)}) ({expr})" if labels else f"{op}({expr})"


def recorded(recording: c.Recording) -> str:
    """A recorded series of the picked service (one per namespace and application)."""
    return select(recording.name, SCORING)


def recorded_max(recording: c.Recording) -> str:
    """A recorded series reduced to its highest value, for a single-value panel."""
    return aggregate("max", (), recorded(recording))


def label_values(metric: str, label: str, selector: str = "") -> str:
    """A Grafana variable query: the values `label` takes on `metric`, optionally narrowed by `selector`."""
    series = select(metric, selector) if selector else metric
    return f"label_values({series}, {label})"


NAMESPACES = label_values(c.HTTP_REQUESTS.name, c.NAMESPACE)
APPLICATIONS = label_values(c.HTTP_REQUESTS.name, c.APPLICATION, f'{c.NAMESPACE}="${v.NAMESPACE}"')
STACKS = label_values(c.DRIFT_SHARE.name, c.STACK, f'{c.JOB}="{c.DRIFT_PUSH_JOB}"')
