"""Every way a run can fail on its input or its surroundings: one line naming the file, column or option and the
rule, exit status 2, no traceback, and the failed status pushed wherever the Pushgateway is reachable."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from drift_jobs.job import UNPUSHED_SUFFIX
from infra.local.process import free_port
from tests.conftest import CliRunner
from tests.drift_fixtures import RUN_ID, STACK, Dataset, Gateway, read_summary, run_args

FIRST_PART = "predictions/date=2026-11-20/part-00000.parquet"
EXPECTED_COLUMNS = "expected request_id, timestamp, model_version, score, decision and the model's features"


def _rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def _drop_x03(data: Dataset) -> list[str]:
    _rewrite(data.log / FIRST_PART, lambda t: t.drop_columns(["x03"]))
    return []


def _add_debug(data: Dataset) -> list[str]:
    _rewrite(data.log / FIRST_PART, lambda t: t.append_column("debug", pa.array([1] * t.num_rows)))
    return []


def _x02_as_text(data: Dataset) -> list[str]:
    _rewrite(data.log / FIRST_PART, lambda t: t.set_column(t.schema.get_field_index("x02"), "x02",
                                                            pc.cast(t.column("x02"), pa.string())))  # fmt: skip
    return []


def _x05_all_nan(data: Dataset) -> list[str]:
    for part in (data.log / "predictions").glob("*/part-*.parquet"):
        _rewrite(part, lambda t: t.set_column(t.schema.get_field_index("x05"), "x05",
                                              pa.array([float("nan")] * t.num_rows)))  # fmt: skip
    return []


def _corrupt_part(data: Dataset) -> list[str]:
    (data.log / FIRST_PART).write_bytes(b"not parquet at all")
    return []


def _label_two(data: Dataset) -> list[str]:
    _rewrite(data.model / "reference.parquet", lambda t: t.set_column(t.schema.get_field_index("label"), "label",
                                                                       pa.array([2] * t.num_rows, pa.int8())))  # fmt: skip
    return []


def _no_importance_for_x04(data: Dataset) -> list[str]:
    path = data.model / "metadata.json"
    metadata = json.loads(path.read_text())
    del metadata["importances"]["x04"]
    path.write_text(json.dumps(metadata))
    return []


def _now(text: str) -> Callable[[Dataset], list[str]]:
    return lambda data: ["--now", text]


def _log_uri(path: str) -> Callable[[Dataset], list[str]]:
    return lambda data: ["--log-uri", str(data.log.parent / path)]


def _model_uri(path: str) -> Callable[[Dataset], list[str]]:
    return lambda data: ["--model-uri", str(data.model.parent / path)]


def _closed_gateway(data: Dataset) -> list[str]:
    return ["--pushgateway", f"http://127.0.0.1:{CLOSED_PORT}"]


CLOSED_PORT = free_port()
"""Nothing listens here: the port was free when chosen and nothing is started on it."""

# (case, what to break, expected error line, whether the failed status reaches the Pushgateway); no case but the
# Pushgateway's own failure, which comes after the reports are complete, leaves reports.
CASES = [
    ("empty window, no partition", _now("2027-03-01T00:00:00Z"),
     "{log}: no predictions in the window 2027-02-22T00:00:00Z..2027-03-01T00:00:00Z", True),
    ("empty window, rows only outside it", _now("2026-11-19T02:00:00Z"),
     "{log}: no predictions in the window 2026-11-12T02:00:00Z..2026-11-19T02:00:00Z", True),
    ("no prediction log", _log_uri("nowhere"),
     "{tmp}/nowhere: no prediction log here (expected predictions/date=YYYY-MM-DD/*.parquet)", True),
    ("missing column", _drop_x03, f"{{log}}/{FIRST_PART}: missing column(s) 'x03' ({EXPECTED_COLUMNS})", True),
    ("extra column", _add_debug, f"{{log}}/{FIRST_PART}: unexpected column(s) 'debug' ({EXPECTED_COLUMNS})", True),
    ("wrong dtype", _x02_as_text, f"{{log}}/{FIRST_PART}: column 'x02' has type string, expected float64", True),
    ("all-NaN column", _x05_all_nan,
     "{log} window 2026-11-19T03:00:00Z..2026-11-26T03:00:00Z: column 'x05' has no values "
     "(all null or NaN in 4,000 rows)", True),
    ("unreadable file", _corrupt_part,
     f"{{log}}/{FIRST_PART}: cannot read (Could not open Parquet input source: Parquet magic bytes not found in "
     "footer. Either the file is corrupted or this is not a parquet file.)", True),
    ("no model artifact", _model_uri("nowhere"), "{tmp}/nowhere/metadata.json: no such file or folder", True),
    ("importance missing", _no_importance_for_x04,
     "{model}/metadata.json: importances: no importance for 'x04' (every feature needs exactly one importance)",
     True),
    ("label out of range", _label_two, "{model}/reference.parquet: column 'label' holds 2; labels are 0 or 1", True),
    ("Pushgateway unreachable", _closed_gateway,
     f"pushgateway http://127.0.0.1:{CLOSED_PORT}: unreachable ([Errno 111] Connection refused); reports not "
     f"published, kept in {{tmp}}/reports/{STACK}/{RUN_ID}{UNPUSHED_SUFFIX}", False),
    ("time without zone", _now("2026-11-26T03:00:00"),
     "--now: '2026-11-26T03:00:00' has no time zone; add one (example: 2026-11-26T03:00:00Z)", False),
    ("gateway not a URL", lambda data: ["--pushgateway", "localhost:9091"],
     "--pushgateway: 'localhost:9091' is not an http(s) URL (example: http://127.0.0.1:9091)", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("breakage", "expected", "pushed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_failed_run_says_why_in_one_line_and_pushes_its_status(
    vigie: CliRunner,
    project: Path,
    dataset: Dataset,
    gateway: Gateway,
    tmp_path: Path,
    breakage: Callable[[Dataset], list[str]],
    expected: str,
    pushed: bool,
) -> None:
    extra = breakage(dataset)
    code, out, err = vigie(*run_args(project, dataset, gateway.url, tmp_path / "reports", *extra))
    assert code == 2
    assert err.splitlines()[-1] == "error: " + expected.format(
        tmp=tmp_path, log=dataset.log, model=dataset.model
    )
    assert "Traceback" not in err and out == ""
    reports = sorted(p.name for p in (tmp_path / "reports").glob(f"{STACK}/*"))
    assert reports == ([RUN_ID + UNPUSHED_SUFFIX] if "unreachable" in expected else [])  # never published
    if pushed:
        assert gateway.value("vigie_drift_last_run_success") == 0
        assert gateway.value("vigie_drift_last_run_timestamp_seconds") > 0
    else:
        assert gateway.metrics() == {}


def test_a_failed_rerun_keeps_the_good_reports_and_the_last_success_time(
    vigie: CliRunner, project: Path, dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    assert vigie(*run_args(project, dataset, gateway.url, reports))[0] == 0
    folder = reports / STACK / RUN_ID
    good = {p.name: p.read_bytes() for p in folder.iterdir()}
    succeeded_at = gateway.value("vigie_drift_last_success_timestamp_seconds")
    share = gateway.value("vigie_drift_share")
    _corrupt_part(dataset)
    code, _, err = vigie(*run_args(project, dataset, gateway.url, reports))
    assert code == 2, err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == good
    assert [p.name for p in (reports / STACK).iterdir()] == [RUN_ID]
    assert read_summary(reports)["run"] == RUN_ID
    assert gateway.value("vigie_drift_last_run_success") == 0
    assert gateway.value("vigie_drift_last_run_timestamp_seconds") > succeeded_at
    assert gateway.value("vigie_drift_last_success_timestamp_seconds") == succeeded_at
    assert gateway.value("vigie_drift_share") == share
