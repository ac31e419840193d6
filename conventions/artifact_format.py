"""The on-disk formats the scoring service writes and the drift job reads: the model artifact folder and the
prediction log. Both sides import these names, so neither can drift from the other.

Model artifact folder:
    model.txt          the trained LightGBM booster (text format)
    metadata.json      ModelMetadata below
    reference.parquet  a sample of the training data: feature columns, `score` and `label`

Prediction log (under a local path or any fsspec URI such as s3://bucket/prefix):
    predictions/date=YYYY-MM-DD/<part>.parquet   one row per scored application (PREDICTION_COLUMNS,
                                                 CORRELATION_ID, features)
    labels/<part>.parquet                        delayed true labels joined by request id (LABEL_COLUMNS)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
REFERENCE_FILE = "reference.parquet"

PREDICTIONS_DIR = "predictions"
LABELS_DIR = "labels"
PARTITION_KEY = "date"
"""Hive-style partition of the prediction log: predictions/date=2026-11-26/…"""

REQUEST_ID = "request_id"
"""The service's id of one prediction (unique, never the caller's): what a label quotes."""
CORRELATION_ID = "correlation_id"
"""The caller's X-Request-ID (string, null when none). Parts written before it have no such column, so readers
take it as optional."""
TIMESTAMP = "timestamp"
"""UTC, pyarrow timestamp('us', tz='UTC')."""
MODEL_VERSION = "model_version"
SCORE = "score"
"""Probability of default, float64 in [0, 1]."""
DECISION = "decision"
"""'accepted' (score < θ*) or 'rejected' (score ≥ θ*)."""
LABEL = "label"
"""The true outcome: 1 when the applicant defaulted, 0 otherwise (int8)."""
LABELLED_AT = "labelled_at"

ACCEPTED = "accepted"
REJECTED = "rejected"

PREDICTION_COLUMNS = (REQUEST_ID, TIMESTAMP, MODEL_VERSION, SCORE, DECISION)
LABEL_COLUMNS = (REQUEST_ID, LABEL, LABELLED_AT)


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: str = Field(description="numpy dtype name of the column, e.g. float64 or int64")
    categorical: bool = False


class ModelMetadata(BaseModel):
    """metadata.json of a model artifact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    threshold: float = Field(ge=0, le=1, description="θ*: rejected when score ≥ threshold")
    features: list[FeatureSpec]
    importances: dict[str, float] = Field(description="feature → importance (gain), all features")
    cost_false_negative: float
    cost_false_positive: float
    reference_business_cost: float = Field(description="cost per application on the held-out set at θ*")
    reference_auc: float

    def important_features(self, n: int) -> list[str]:
        """The top-n features by importance, ties broken by name so the choice is stable."""
        ranked = sorted(self.importances.items(), key=lambda item: (-item[1], item[0]))
        return [name for name, _ in ranked[:n]]
