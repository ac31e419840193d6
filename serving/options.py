"""The scoring application's arguments: what `serve_config` writes into the Serve config and `build_app`
reads.

Plain JSON values, because they travel in the Serve config document (a RayService's serveConfigV2 or the
local run's).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEPLOYMENT = "CreditScorer"
IMPORT_PATH = "serving.app:build_app"
"""The builder a Serve config names; it takes ScoringOptions as its args."""


class ScoringOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    artifact_uri: str = Field(min_length=1, description="The model artifact folder (path or fsspec URI).")
    model_version: str | None = Field(
        None, min_length=1, description="Report this version instead of the artifact's (local runs only)."
    )
    declared_version: str = Field(
        min_length=1, description="vigie:model.version: a replica refuses to start on an artifact of another."
    )
    prediction_log_uri: str = Field(
        min_length=1, description="Root of the prediction log (path or fsspec URI)."
    )
    flush_rows: int = Field(ge=1, description="Write a log part once this many records wait.")
    flush_interval_s: float = Field(gt=0, description="Write waiting records at least this often.")
    max_unwritten_rows: int = Field(
        ge=1, description="Records beyond this many accepted and not yet written are dropped and counted."
    )
    spool_dir: str | None = Field(
        None, min_length=1, description="The write-ahead spool's folder on the replica's local disk."
    )
    log_close_timeout_s: float = Field(
        gt=0, description="How long a stopping replica retries its last writes."
    )
    max_request_bytes: int = Field(ge=1, description="Larger request bodies get 413, unparsed.")
    max_batch_size: int = Field(ge=1, description="@serve.batch: most applicants per model call.")
    batch_wait_timeout_s: float = Field(ge=0, description="@serve.batch: longest wait for a batch to fill.")
    faults: bool = Field(False, description="Expose /admin/faults (local runs for alert tests only).")
