"""Traffic the local stack drives: a client-errors run spoils an exact, evenly spread share of its bodies."""

from __future__ import annotations

import pytest

from infra.local.traffic import with_bad_payloads

BODIES = [{"a": i, "b": i} for i in range(10)]


@pytest.mark.parametrize(
    ("share", "spoiled"), [(0.0, set()), (0.3, {0, 3, 6}), (0.5, {0, 2, 4, 6, 8}), (1.0, set(range(10)))]
)
def test_a_share_of_the_bodies_lose_their_first_field(share: float, spoiled: set[int]) -> None:
    bodies = with_bad_payloads(BODIES, share)
    assert {i for i, body in enumerate(bodies) if "a" not in body} == spoiled
    assert all(body == BODIES[i] for i, body in enumerate(bodies) if i not in spoiled)
