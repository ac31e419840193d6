"""The synthetic credit dataset: deterministic, in the API's schema, with a realistic default rate."""

from __future__ import annotations

import json

import pandas as pd

from conventions.artifact_format import LABEL
from serving.dataset import DEFAULT_RATE, synthetic_applications
from serving.features import FEATURES, NAMES
from serving.schema import Applicant


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first, again, other = (synthetic_applications(2000, seed) for seed in (7, 7, 8))
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_columns_are_the_features_in_schema_order_with_schema_dtypes_and_a_label() -> None:
    frame = synthetic_applications(500, 1)
    assert list(frame.columns) == [*NAMES, LABEL]
    assert {f.name: str(frame[f.name].dtype) for f in FEATURES} == {f.name: f.dtype for f in FEATURES}
    assert str(frame[LABEL].dtype) == "int8"
    for feature in FEATURES:
        if feature.categorical:
            assert set(frame[feature.name]) <= set(feature.categories), feature.name


def test_every_row_is_an_applicant_the_api_accepts() -> None:
    rows = json.loads(synthetic_applications(2000, 3).drop(columns=[LABEL]).to_json(orient="records"))
    for row in rows:
        Applicant.model_validate(row)


def test_the_default_rate_is_close_to_home_credits() -> None:
    rate = synthetic_applications(50_000, 11)[LABEL].mean()
    assert abs(rate - DEFAULT_RATE) < 0.005
