"""`vigie drift run` end to end: a generated prediction log in, reports and Pushgateway metrics out."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from drift_jobs.reports import (
    DATA_DRIFT_REPORT,
    MATURED_PERFORMANCE_REPORT,
    PERFORMANCE_REPORT,
    PREDICTION_DRIFT_REPORT,
)
from drift_jobs.summary import SUMMARY_FILE
from drift_jobs.synthetic import Scenario, write_matured_cohort
from tests.conftest import CliRunner
from tests.drift_fixtures import (
    NOW,
    NOW_TEXT,
    RUN_ID,
    SCENARIO,
    SHIFTED,
    STACK,
    WINDOW,
    Dataset,
    Gateway,
    make_dataset,
    read_summary,
    run_args,
)
from tests.infra.stack_edits import edit_stack


def test_run_writes_the_reports_and_summary_and_prints_the_verdict(
    vigie: CliRunner, project: Path, shared_dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    code, out, err = vigie(*run_args(project, shared_dataset, gateway.url, tmp_path))
    assert code == 0, err
    folder = tmp_path / STACK / RUN_ID
    written = [DATA_DRIFT_REPORT, PREDICTION_DRIFT_REPORT, PERFORMANCE_REPORT, SUMMARY_FILE]
    assert sorted(p.name for p in folder.iterdir()) == sorted(written)
    assert [p.name for p in (tmp_path / STACK).iterdir()] == [RUN_ID]
    summary = read_summary(tmp_path)
    assert summary["reports"] == written
    assert summary["rows"] == {
        "reference": 4000, "current": 4000, "reference_tested": 2000, "current_tested": 2000,
        "reference_report": 2000, "current_report": 2000, "labelled": summary["rows"]["labelled"],
    }  # fmt: skip
    assert 1800 < summary["rows"]["labelled"] < 2200
    assert summary["window"] == {"start": "2026-11-19T03:00:00Z", "end": NOW_TEXT, "length": "7d"}
    assert summary["data_drift"]["drifted_important"] == ["x00", "x01", "x03", "x07"]
    assert summary["data_drift"]["share"] == 0.4 and summary["data_drift"]["detected"] is True
    assert summary["prediction_drift"]["drifted"] is True
    lines = out.splitlines()
    assert (
        lines[1] == "data drift: 4/10 important features drifted (40% > 30%): DETECTED [x00, x01, x03, x07]"
    )
    assert lines[-1] == f"reports: {folder}"
    assert "reading the prediction log" in err and "Traceback" not in err


def test_pushed_metrics_are_the_summarys_figures(
    vigie: CliRunner, project: Path, shared_dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    began = time.time()
    code, _, err = vigie(*run_args(project, shared_dataset, gateway.url, tmp_path))
    ended = time.time()
    assert code == 0, err
    summary = read_summary(tmp_path)
    data, performance = summary["data_drift"], summary["performance"]
    assert gateway.value("vigie_drift_share") == data["share"]
    assert gateway.value("vigie_drift_drifted_features") == 4
    assert gateway.value("vigie_drift_important_features") == 10
    for feature in data["features"]:
        labels = {"feature": feature["name"], "test": feature["method"]}
        assert gateway.value("vigie_drift_feature_statistic", **labels) == feature["statistic"]
        assert gateway.value("vigie_drift_feature_p_value", **labels) == feature["p_value"]
        assert gateway.value("vigie_drift_feature_drifted", **labels) == float(feature["drifted"])
    tests = {dict(labels)["feature"]: dict(labels)["test"] for name, labels in gateway.metrics()
             if name == "vigie_drift_feature_statistic"}  # fmt: skip
    assert (len(tests), tests["segment"], tests["x00"]) == (len(data["features"]), "chisquare", "ks")
    assert gateway.value("vigie_prediction_drift_statistic") == summary["prediction_drift"]["statistic"]
    assert gateway.value("vigie_prediction_drift_p_value") == summary["prediction_drift"]["p_value"]
    assert gateway.value("vigie_prediction_drift_detected") == int(summary["prediction_drift"]["drifted"])
    assert gateway.value("vigie_drift_insufficient_data") == 0
    assert gateway.value("vigie_drift_business_cost") == performance["business_cost"]
    assert gateway.value("vigie_drift_reference_business_cost") == performance["reference_business_cost"]
    assert gateway.value("vigie_drift_auc") == performance["auc"]
    assert gateway.value("vigie_drift_rows", dataset="reference") == 2000
    assert gateway.value("vigie_drift_rows", dataset="current") == 2000
    assert gateway.value("vigie_drift_last_run_success") == 1
    finished = gateway.value("vigie_drift_last_success_timestamp_seconds")
    assert began <= finished <= ended
    assert gateway.value("vigie_drift_last_run_timestamp_seconds") == finished


def test_the_known_shifted_features_are_exactly_the_drifted_ones(
    vigie: CliRunner, project: Path, gateway: Gateway, tmp_path: Path
) -> None:
    """Every feature type shifted (floats, the count, the flag, the category); the rows logged just before the
    window are far off on every feature, so reading any of them would make everything drift. The other nine
    features could each flag by chance (about 5 %, see test_data_drift); with this seed none does."""
    shifted = ("x02", "x05", "x08", "x11", "n_products", "has_guarantor", "segment")
    data = make_dataset(tmp_path / "data", Scenario(shifted=shifted, stale_rows=500, seed=7))
    code, out, err = vigie(*run_args(project, data, gateway.url, tmp_path / "reports"))
    assert code == 0, err
    summary = read_summary(tmp_path / "reports")
    drifted = sorted(f["name"] for f in summary["data_drift"]["features"] if f["drifted"])
    assert drifted == sorted(shifted)
    assert summary["data_drift"]["share"] == 0.3
    assert summary["data_drift"]["detected"] is False, "30 % is not more than 30 %"
    assert "data drift: 3/10 important features drifted (30% ≤ 30%): not detected [x02, x05, x08]" in out


def test_a_rerun_of_a_window_replaces_its_reports(
    vigie: CliRunner, project: Path, shared_dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    for _ in range(2):
        code, _, err = vigie(*run_args(project, shared_dataset, gateway.url, tmp_path))
        assert code == 0, err
    assert sorted(p.name for p in (tmp_path / STACK).iterdir()) == [RUN_ID]
    assert len(list((tmp_path / STACK / RUN_ID).iterdir())) == 4


def test_without_labels_there_is_no_performance_report_nor_metric(
    vigie: CliRunner, project: Path, gateway: Gateway, tmp_path: Path
) -> None:
    data = make_dataset(
        tmp_path / "data", Scenario(labelled_share=0.0, reference_rows=3000, current_rows=3000)
    )
    code, out, err = vigie(*run_args(project, data, gateway.url, tmp_path / "reports"))
    assert code == 0, err
    summary = read_summary(tmp_path / "reports")
    assert summary["performance"] is None and summary["rows"]["labelled"] == 0
    assert PERFORMANCE_REPORT not in summary["reports"]
    assert "performance: no true labels for the window yet" in out
    names = {name for name, _ in gateway.metrics()}
    assert {"vigie_drift_auc", "vigie_drift_business_cost"}.isdisjoint(names)
    assert "vigie_drift_share" in names


def test_the_settings_drive_the_sample_and_the_important_features(
    vigie: CliRunner, project: Path, shared_dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    edit_stack(project / f"Pulumi.{STACK}.yaml", "vigie:drift", "sampleSize", 1000)
    edit_stack(project / f"Pulumi.{STACK}.yaml", "vigie:drift", "importantFeatures", 4)
    code, _, err = vigie(*run_args(project, shared_dataset, gateway.url, tmp_path))
    assert code == 0, err
    summary = read_summary(tmp_path)
    assert summary["rows"]["current_tested"] == summary["rows"]["reference_tested"] == 1000
    assert summary["data_drift"]["important"] == ["x00", "x01", "x02", "x03"]
    drifted = summary["data_drift"]["drifted_important"]
    assert {"x00", "x01", "x03"} <= set(drifted)
    assert gateway.value("vigie_drift_share") == len(drifted) / 4


def test_the_rows_before_the_window_are_in_its_first_partition(shared_dataset: Dataset) -> None:
    """What makes the known-shift test meaningful: the stale rows share a file folder with the window's rows."""
    first = shared_dataset.log / "predictions" / "date=2026-11-19"
    names = sorted(p.name for p in first.iterdir())
    assert names[-1].startswith("stale-")
    stale = pq.read_table(first / names[-1])
    assert stale.num_rows == SCENARIO.stale_rows
    assert set(SHIFTED) <= set(stale.column_names)


def test_a_window_thinner_than_min_rows_reports_insufficient_data_not_no_drift(
    vigie: CliRunner, project: Path, shared_dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    """4,000 rows against minRows 5,000: no verdict, no report, exit 0; the status says why, and the previous
    run's verdicts are replaced rather than left to look current. `--summary-file` (the drift DAG's) holds the
    published summary, then why there is none."""
    copy = tmp_path / "summary.json"
    assert (
        vigie(*run_args(project, shared_dataset, gateway.url, tmp_path / "first", "--summary-file", copy))[0]
        == 0
    )
    assert json.loads(copy.read_text()) == read_summary(tmp_path / "first")
    edit_stack(project / f"Pulumi.{STACK}.yaml", "vigie:drift", "minRows", 5000)
    code, out, err = vigie(
        *run_args(project, shared_dataset, gateway.url, tmp_path / "thin", "--summary-file", copy)
    )
    assert code == 0, err
    assert json.loads(copy.read_text()) == {
        "insufficient_data": True, "rows": 4000, "min_rows": 5000, "model": {"version": SCENARIO.model_version}
    }  # fmt: skip
    assert out.strip().endswith(
        "insufficient data: 4,000 rows, fewer than drift.minRows (5,000); no verdict drawn and no reports written"
    )
    assert not (tmp_path / "thin").exists()
    assert gateway.value("vigie_drift_insufficient_data") == 1
    assert gateway.value("vigie_drift_last_run_success") == 1
    assert gateway.value("vigie_drift_rows", dataset="current") == 4000
    assert not {name for name, _ in gateway.metrics()} & {
        "vigie_drift_share",
        "vigie_prediction_drift_detected",
    }


MATURED = {
    # name: (matured rows, share of contradicting labels, minLabelledRows, expected summary fields)
    "as good as the reference": (3000, 0.0, 1000, {"insufficient_labels": False, "degraded": False}),
    "degraded": (3000, 0.5, 1000, {"insufficient_labels": False, "degraded": True}),
    "too few labels": (800, 0.5, 1000, {"insufficient_labels": True, "degraded": None, "performance": None}),
}


@pytest.mark.parametrize(("rows", "wrong", "needed", "expected"), MATURED.values(), ids=MATURED)
def test_the_matured_cohort_is_judged_against_the_reference_or_reported_thin(
    vigie: CliRunner,
    project: Path,
    gateway: Gateway,
    tmp_path: Path,
    rows: int,
    wrong: float,
    needed: int,
    expected: dict[str, object],
) -> None:
    """The cohort of the window ending drift.labelDelay (90d) ago, every row labelled: its cost per application
    against the reference's and the threshold (20 %), pushed and summarised; a thin one is never "no
    degradation": its row count is pushed, its cost is not, and the summary and output say insufficient labels."""
    scenario = Scenario(labelled_share=0.0, reference_rows=3000, current_rows=3000, matured_rows=rows,
                        matured_wrong=wrong)  # fmt: skip
    data = make_dataset(tmp_path / "data", scenario)
    write_matured_cohort(data.log, scenario, NOW - timedelta(days=90), WINDOW)
    edit_stack(project / f"Pulumi.{STACK}.yaml", "vigie:drift", "minLabelledRows", needed)
    code, out, err = vigie(*run_args(project, data, gateway.url, tmp_path / "reports"))
    assert code == 0, err
    matured = read_summary(tmp_path / "reports")["matured_performance"]
    assert matured["window"] == {"start": "2026-08-21T03:00:00Z", "end": "2026-08-28T03:00:00Z"}
    assert (matured["labelled_rows"], matured["min_labelled_rows"]) == (rows, needed)
    assert {key: matured[key] for key in expected} == expected
    assert gateway.value("vigie_drift_matured_labelled_rows") == rows
    line = next(line for line in out.splitlines() if line.startswith("matured cohort "))
    names = {name for name, _ in gateway.metrics()}
    if matured["insufficient_labels"]:
        assert line.endswith(f"insufficient labels: {rows:,} labelled rows, fewer than drift.minLabelledRows "
                             f"({needed:,}); performance not judged")  # fmt: skip
        assert {"vigie_drift_matured_business_cost", "vigie_drift_matured_auc"}.isdisjoint(names)
        assert MATURED_PERFORMANCE_REPORT not in read_summary(tmp_path / "reports")["reports"]
        return
    performance = matured["performance"]
    assert gateway.value("vigie_drift_matured_business_cost") == performance["business_cost"]
    assert gateway.value("vigie_drift_matured_auc") == performance["auc"]
    assert gateway.value("vigie_drift_reference_business_cost") == performance["reference_business_cost"]
    increase = performance["business_cost"] / performance["reference_business_cost"] - 1
    assert matured["cost_increase"] == pytest.approx(increase)
    assert (increase > 0.2) is expected["degraded"]
    assert ("DEGRADED" in line) is expected["degraded"]
    assert MATURED_PERFORMANCE_REPORT in read_summary(tmp_path / "reports")["reports"]


def test_verdicts_carry_the_judged_model_version_and_the_status_none(
    vigie: CliRunner, project: Path, shared_dataset: Dataset, gateway: Gateway, tmp_path: Path
) -> None:
    """model_version is a label, not a grouping key: the next run's push replaces the whole group."""
    assert vigie(*run_args(project, shared_dataset, gateway.url, tmp_path))[0] == 0
    versions = {name: dict(labels).get("model_version") for name, labels in gateway.metrics()}
    status = {"vigie_drift_last_run_success", "vigie_drift_last_run_timestamp_seconds",
              "vigie_drift_last_success_timestamp_seconds"}  # fmt: skip
    assert {name for name, version in versions.items() if version is None} == status
    assert {version for name, version in versions.items() if name not in status} == {SCENARIO.model_version}
    assert gateway.value("vigie_drift_model_version_info") == 1
