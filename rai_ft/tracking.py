"""Experiment tracking (optional, enabled in the spec's ``tracking`` section): TensorBoard event files and/or an MLflow
run in a local store. Training loss per step and validation metrics per epoch are logged live; after the audit, every
audit metric, the gate verdict and (MLflow) the three report files.

Both backends write only to local files by default: TensorBoard to ``<output>/tensorboard/<run>/``, MLflow to
``sqlite:///<output>/mlflow.db`` with artifacts in ``<output>/mlruns/``. Set ``tracking.mlflow_tracking_uri`` to use
another store (a server URI sends data over the network: that is then the user's explicit choice).
Each backend is one class with the same four verbs, registered by name in :data:`BACKENDS`.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from rai_ft.errors import MissingExtraError

__all__ = ["Tracker", "TensorBoardBackend", "MLflowBackend", "BACKENDS", "open_tracker", "tracked_run", "metric_key"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")


def metric_key(name: str) -> str:
    """A metric name both backends accept (MLflow allows letters, digits, ``_-. /``)."""
    return _UNSAFE.sub("_", name)


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    return {metric_key(k): float(v) for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v}


class TensorBoardBackend:
    """Event files readable by ``tensorboard --logdir <output>/tensorboard``."""

    name = "tensorboard"

    def __init__(self, output_root: Path, run_name: str, spec: Any) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # torch imports tensorboard lazily
            raise MissingExtraError("tracking.tensorboard", "tensorboard", "track") from exc
        self.dir = output_root / "tensorboard" / run_name
        self.writer = SummaryWriter(log_dir=str(self.dir))
        self.writer.add_text("spec", f"```\n{spec.model_dump_json(indent=2)}\n```", 0)

    def log_metrics(self, values: dict[str, float], step: int) -> None:
        for k, v in values.items():
            self.writer.add_scalar(k, v, step)

    def record(self) -> dict[str, Any]:
        return {"log_dir": str(self.dir)}

    def finish(self, doc: dict[str, Any], run_dir: Path, step: int) -> None:
        self.log_metrics({f"audit/{k}": v for k, v in _numbers(doc.get("metrics", {})).items()}, step)
        gate = doc.get("gate") or {}
        self.writer.add_text("gate", f"verdict: {gate.get('status', 'n/a')} — report: {run_dir / 'report.html'}", step)
        self.writer.close()

    def abort(self) -> None:
        self.writer.close()


class MLflowBackend:
    """One MLflow run per rai-ft run, in a local SQLite store unless a tracking URI is given."""

    name = "mlflow"

    def __init__(self, output_root: Path, run_name: str, spec: Any) -> None:
        try:
            import mlflow
        except ImportError as exc:
            raise MissingExtraError("tracking.mlflow", "mlflow-skinny", "track") from exc
        for noisy in ("mlflow", "alembic"):  # store creation logs at INFO; rai-ft prints its own one line
            logging.getLogger(noisy).setLevel(logging.WARNING)
        cfg = spec.tracking
        self.mlflow = mlflow
        self.uri = cfg.mlflow_tracking_uri or f"sqlite:///{(output_root / 'mlflow.db').resolve()}"
        mlflow.set_tracking_uri(self.uri)
        experiment = cfg.experiment or spec.name
        if mlflow.get_experiment_by_name(experiment) is None:
            location = None if cfg.mlflow_tracking_uri else (output_root / "mlruns").resolve().as_uri()
            mlflow.create_experiment(experiment, artifact_location=location)
        mlflow.set_experiment(experiment)
        self.run = mlflow.start_run(run_name=run_name)
        self.experiment = experiment
        flat = {"model.base": spec.model.base, "model.adapter": spec.model.adapter.method,
                **{f"train.{k}": v for k, v in spec.train.model_dump().items() if not isinstance(v, dict)}}
        mlflow.log_params({k: str(v) for k, v in flat.items()})
        mlflow.set_tags({"rai_ft.spec": spec.name, "rai_ft.policy": spec.policy})

    def log_metrics(self, values: dict[str, float], step: int) -> None:
        self.mlflow.log_metrics(values, step=step)

    def record(self) -> dict[str, Any]:
        return {"tracking_uri": self.uri, "experiment": self.experiment, "run_id": self.run.info.run_id}

    def finish(self, doc: dict[str, Any], run_dir: Path, step: int) -> None:
        self.mlflow.log_metrics({f"audit/{k}": v for k, v in _numbers(doc.get("metrics", {})).items()}, step=step)
        self.mlflow.set_tags({"rai_ft.gate": (doc.get("gate") or {}).get("status", "n/a"),
                              "rai_ft.run_dir": str(run_dir)})
        for name in ("audit.json", "report.html", "model_card.md"):
            if (run_dir / name).is_file():
                self.mlflow.log_artifact(str(run_dir / name))
        self.mlflow.end_run()

    def abort(self) -> None:
        self.mlflow.end_run(status="FAILED")


BACKENDS: dict[str, Callable[[Path, str, Any], Any]] = {
    "tensorboard": TensorBoardBackend,
    "mlflow": MLflowBackend,
}


class Tracker:
    """Fans training and audit metrics out to the enabled backends; a loop callback (step and epoch ends)."""

    def __init__(self, backends: list[Any]) -> None:
        self.backends = backends
        self.step = 0

    def on_step_end(self, step: int, loss: float, ctx: Any = None) -> None:
        """Training loss at each optimiser step."""
        self.step = step
        for b in self.backends:
            b.log_metrics({"train/loss": float(loss)}, step)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any], ctx: Any = None) -> None:
        """Validation metrics and epoch loss, at the epoch's last step."""
        values = {f"epoch/{k}": v for k, v in _numbers(logs).items() if k != "epoch"}
        for b in self.backends:
            b.log_metrics(values, self.step)

    def record(self) -> dict[str, Any]:
        """Where each backend writes, for audit.json (known before the audit ends)."""
        return {b.name: b.record() for b in self.backends}

    def finish(self, doc: dict[str, Any], run_dir: Path) -> None:
        """Audit metrics, verdict and (MLflow) the report files, after they are written."""
        for b in self.backends:
            b.finish(doc, run_dir, self.step)

    def abort(self) -> None:
        """Close the backends of a run that failed (the MLflow run is marked FAILED)."""
        for b in self.backends:
            b.abort()


def open_tracker(spec: Any, output_root: Path, run_name: str) -> Tracker | None:
    """The tracker the spec asks for, or None when tracking is off."""
    cfg = spec.tracking
    names = [n for n in BACKENDS if getattr(cfg, n)]
    if not names:
        return None
    output_root.mkdir(parents=True, exist_ok=True)
    return Tracker([BACKENDS[n](output_root, run_name, spec) for n in names])


@contextmanager
def tracked_run(spec: Any, output_root: Path, run_name: str, enabled: bool = True) -> Iterator[Tracker | None]:
    """The spec's tracker (None when off or not *enabled*) for the block; backends are closed as failed if it raises.

    The caller calls ``tracker.finish(doc, run_dir)`` once the run directory is written.
    """
    tracker = open_tracker(spec, output_root, run_name) if enabled else None
    try:
        yield tracker
    except BaseException:
        if tracker is not None:
            tracker.abort()
        raise
