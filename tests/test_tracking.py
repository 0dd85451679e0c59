"""Experiment tracking: TensorBoard event files and a local MLflow run hold the training curve and the audit."""

from __future__ import annotations

import json
import sys

import pytest

from rai_ft.errors import MissingExtraError
from rai_ft.pipeline import run
from rai_ft.tracking import metric_key
from tests.conftest import spec_dict, write_yaml


def tracked_spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, **tracking) -> str:
    spec = spec_dict(tiny_model_dir, sentiment_csv, lenient_policy, tracking=tracking)
    return str(write_yaml(tmp_path / "tracked.yaml", spec))


def test_tensorboard_holds_every_step_loss_epoch_metrics_and_audit_metrics(
        tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, doc = run(tracked_spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, tensorboard=True),
                   tmp_path / "reports", quiet=True)
    log_dir = tmp_path / "reports" / "tensorboard" / out.name
    assert doc["tracking"] == {"tensorboard": {"log_dir": str(log_dir)}}
    acc = EventAccumulator(str(log_dir)).Reload()
    losses = acc.Scalars("train/loss")
    assert [e.step for e in losses] == list(range(1, doc["training"]["steps"] + 1))
    assert [round(e.value, 5) for e in losses] == pytest.approx(doc["training"]["step_losses"], abs=1e-5)
    assert [e.value for e in acc.Scalars("epoch/val_accuracy")] == pytest.approx(
        [h["val_accuracy"] for h in doc["training"]["history"]])
    assert acc.Scalars("audit/performance.accuracy")[0].value == pytest.approx(doc["metrics"]["performance.accuracy"])
    verdict = acc.Tensors("gate/text_summary")[0].tensor_proto.string_val[0].decode()
    assert verdict.startswith(f"verdict: {doc['gate']['status']}")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"Experiment tracking: tensorboard (log_dir <code>{log_dir}</code>)" in html


def test_mlflow_local_store_has_params_metrics_verdict_and_reports(
        tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    import mlflow

    out, doc = run(tracked_spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, mlflow=True,
                                experiment="rai-ft-test"), tmp_path / "reports", quiet=True)
    rec = doc["tracking"]["mlflow"]
    assert rec["tracking_uri"] == f"sqlite:///{(tmp_path / 'reports' / 'mlflow.db').resolve()}"
    client = mlflow.MlflowClient(tracking_uri=rec["tracking_uri"])
    got = client.get_run(rec["run_id"])
    assert got.info.status == "FINISHED" and got.info.run_name == out.name
    assert got.data.params["train.epochs"] == str(doc["spec"]["train"]["epochs"])
    assert got.data.tags["rai_ft.gate"] == doc["gate"]["status"]
    assert got.data.metrics[metric_key("audit/performance.accuracy")] == pytest.approx(
        doc["metrics"]["performance.accuracy"])
    history = client.get_metric_history(rec["run_id"], "train/loss")
    assert len(history) == doc["training"]["steps"]
    artifacts = {a.path for a in client.list_artifacts(rec["run_id"])}
    assert {"audit.json", "report.html", "model_card.md"} <= artifacts
    # artifacts stay under the output folder, not in the working directory
    assert (tmp_path / "reports" / "mlruns").is_dir()
    saved = json.loads((out / "audit.json").read_text())
    assert saved["tracking"]["mlflow"]["run_id"] == rec["run_id"]


def test_missing_backend_is_a_one_line_install_hint(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                                                     monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    with pytest.raises(MissingExtraError, match=r"rai-ft\[track\]"):
        run(tracked_spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, mlflow=True),
            tmp_path / "reports", quiet=True)
    assert not list((tmp_path / "reports").glob("tiny-*"))


def test_unknown_tracking_key_is_refused(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    from rai_ft.config import load_spec
    from rai_ft.errors import SpecError

    with pytest.raises(SpecError, match="tracking.tensorbord"):
        load_spec(tracked_spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, tensorbord=True))


def test_metric_key_keeps_names_and_replaces_what_backends_refuse() -> None:
    assert metric_key("fairness.sex.demographic_parity_difference") == "fairness.sex.demographic_parity_difference"
    assert metric_key("fairness.race×sex.Amer-Indian (n<30)") == "fairness.race_sex.Amer-Indian _n_30_"


def test_rai_ft_audit_logs_the_audit_to_the_same_store(tmp_path, tiny_model_dir, sentiment_csv,
                                                      lenient_policy) -> None:
    import mlflow

    from rai_ft.pipeline import audit

    spec = tracked_spec(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, mlflow=True, experiment="e")
    run_dir, _ = run(spec, tmp_path / "reports", quiet=True)
    out, doc = audit(spec, run_dir / "model", tmp_path / "reports", quiet=True)
    rec = doc["tracking"]["mlflow"]
    got = mlflow.MlflowClient(tracking_uri=rec["tracking_uri"]).get_run(rec["run_id"])
    assert got.info.run_name == out.name and got.data.tags["rai_ft.gate"] == doc["gate"]["status"]
    assert got.data.metrics["audit/performance.accuracy"] == pytest.approx(doc["metrics"]["performance.accuracy"])
    assert "train/loss" not in got.data.metrics
    runs = mlflow.MlflowClient(tracking_uri=rec["tracking_uri"]).search_runs(
        [mlflow.get_experiment_by_name("e").experiment_id])
    assert len(runs) == 2  # the training run and the audit, side by side
