"""Training the credit model on the synthetic dataset and writing its artifact folder (artifact_format).

Deterministic: fixed seeds, LightGBM's deterministic mode and a fixed thread count, so the same settings give
the same model. Takes a few seconds on two cores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import fsspec
import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from conventions.artifact_format import LABEL, METADATA_FILE, MODEL_FILE, REFERENCE_FILE, SCORE, ModelMetadata
from serving.dataset import synthetic_applications
from serving.features import CATEGORICAL_INDICES, NAMES, SPECS, encode
from serving.threshold import Threshold, best_threshold

SEED = 20261126
ROWS = 60_000
VALIDATION_SHARE = 0.25
REFERENCE_ROWS = 5_000
"""Rows of the held-out set kept as the drift job's reference sample."""
ROUNDS = 300
PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "seed": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,  # one core: steady under load on a shared machine (OpenMP threads spin when starved)
    "verbose": -1,
}


@dataclass(frozen=True)
class Costs:
    false_negative: float
    false_positive: float


@dataclass(frozen=True)
class Trained:
    booster: lgb.Booster
    metadata: ModelMetadata
    reference: pd.DataFrame
    threshold: Threshold


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    return encode({name: frame[name].to_numpy() for name in NAMES})


def train(version: str, costs: Costs, rows: int = ROWS, seed: int = SEED) -> Trained:
    """Fit on the first 75 % of the synthetic rows; choose θ* and measure on the held-out rest."""
    frame = synthetic_applications(rows, seed)
    cut = int(rows * (1 - VALIDATION_SHARE))
    train_rows, held_out = frame.iloc[:cut], frame.iloc[cut:].reset_index(drop=True)
    data = lgb.Dataset(
        _matrix(train_rows),
        train_rows[LABEL].to_numpy(),
        feature_name=list(NAMES),
        categorical_feature=list(CATEGORICAL_INDICES),
    )
    booster = lgb.train(PARAMS, data, num_boost_round=ROUNDS)
    scores = np.asarray(booster.predict(_matrix(held_out)), dtype=np.float64)
    labels = held_out[LABEL].to_numpy()
    threshold = best_threshold(labels, scores, costs.false_negative, costs.false_positive)
    gains = booster.feature_importance(importance_type="gain")
    metadata = ModelMetadata(
        version=version,
        threshold=threshold.value,
        features=SPECS,
        importances={name: round(float(gain), 3) for name, gain in zip(NAMES, gains, strict=True)},
        cost_false_negative=costs.false_negative,
        cost_false_positive=costs.false_positive,
        reference_business_cost=round(threshold.cost_per_application, 6),
        reference_auc=round(float(roc_auc_score(labels, scores)), 6),
    )
    reference = held_out.assign(**{SCORE: scores}).sample(
        n=min(REFERENCE_ROWS, len(held_out)), random_state=seed
    )
    return Trained(booster, metadata, reference.sort_index().reset_index(drop=True), threshold)


def write_artifact(trained: Trained, uri: str) -> None:
    """Write model.txt, metadata.json and reference.parquet under `uri` (a folder or an fsspec URI)."""
    fs, root = fsspec.core.url_to_fs(uri)
    fs.makedirs(root, exist_ok=True)
    with fs.open(f"{root}/{MODEL_FILE}", "w") as out:
        out.write(trained.booster.model_to_string())
    with fs.open(f"{root}/{METADATA_FILE}", "w") as out:
        out.write(json.dumps(trained.metadata.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
    with fs.open(f"{root}/{REFERENCE_FILE}", "wb") as out:
        trained.reference.to_parquet(out, index=False)
