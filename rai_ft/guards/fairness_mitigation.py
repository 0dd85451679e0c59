"""Guard ``fairness_mitigation``: reduce a measured disparity, by reweighing (pre-processing) or group thresholds
(post-processing, Fairlearn ``ThresholdOptimizer``).

- ``reweighing``: each training example is weighted by P(g)P(y)/P(g,y) in our loop's loss, so the label carries no
  group information in the weighted data. No sensitive attribute is needed at prediction time.
  ``baseline: true`` also trains without it, for before/after.
- ``threshold_optimizer``: after training, per-group (randomised) thresholds on the favourable-class probability
  are fitted on the validation split under ``constraint`` and saved with the model (``fairness_thresholds.json``);
  the audit compares predictions before and after. The sensitive attribute is needed at prediction time.
In-processing (Fairlearn reductions on a frozen-representation head) is not offered: see README, "Fairness".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from rai_ft.data.loading import LABEL, TEXT
from rai_ft.errors import SpecError, UnsupportedError
from rai_ft.fairness.effect import EFFECT_METRICS
from rai_ft.guards.base import Guard, GuardConfig, MitigationPlan
from rai_ft.results import Finding

if TYPE_CHECKING:  # pragma: no cover
    from rai_ft.data.loading import DataBundle
    from rai_ft.training.context import TrainContext

__all__ = ["FairnessMitigationGuard", "MitigationConfig", "MSG_NOT_BINARY"]

MSG_THRESHOLD_COLUMN = ("this model applies fairness thresholds by {column!r}; add that column to data.sensitive "
                        "(post-processing needs it at prediction time)")
MSG_NOT_BINARY = "fairness_mitigation: threshold_optimizer needs a binary task; this data has {k} labels"


class MitigationConfig(GuardConfig):
    """Settings of the fairness mitigation."""

    method: Literal["reweighing", "threshold_optimizer"] = "threshold_optimizer"
    constraint: Literal["demographic_parity", "equalized_odds", "true_positive_rate_parity",
                        "false_positive_rate_parity"] = "demographic_parity"
    sensitive: str | None = Field(None, description="Sensitive column to mitigate on (default: the first one).")
    objective: Literal["accuracy_score", "balanced_accuracy_score"] = "accuracy_score"
    baseline: bool = Field(False, description="reweighing: also train without it, for before/after.")
    min_group_size: int = Field(30, ge=0, description="threshold_optimizer: groups with fewer validation examples "
                                "share pooled thresholds (also used for groups unseen in validation).")
    max_accuracy_cost: float = Field(0.02, ge=0, le=1, description="A warn finding when the mitigation costs more "
                                     "test accuracy than this (0.02 = 2 points).")
    seed: int = 0


class FairnessMitigationGuard(Guard[MitigationConfig]):
    """Pre- or post-processing mitigation of group disparity."""

    name = "fairness_mitigation"
    config_model = MitigationConfig
    metric_patterns = EFFECT_METRICS  # computed by the pipeline from the before/after audit of the mitigation
    changes_training_data = True  # left out of the baseline

    def __init__(self, config: MitigationConfig) -> None:
        super().__init__(config)
        self.thresholds: dict[str, Any] | None = None
        self.column = ""
        self.restored: dict[str, Any] | None = None  # the saved settings, when restored from a model folder

    def wants_baseline(self) -> bool:
        """Reweighing needs a second model for before/after; thresholds compare against the same model."""
        return self.config.method == "reweighing" and bool(self.config.baseline)

    def preflight(self, ctx: "TrainContext") -> None:
        """Resolve the column; compute reweighing weights."""
        cfg = self.config
        if not ctx.data.sensitive:
            raise SpecError("fairness_mitigation needs a sensitive column (data.sensitive)", field="data.sensitive")
        self.column = cfg.sensitive or ctx.data.sensitive[0]
        if self.column not in ctx.data.sensitive:
            raise SpecError(f"fairness_mitigation.sensitive {self.column!r} is not one of data.sensitive "
                            f"({', '.join(ctx.data.sensitive)})", field="guards.fairness_mitigation.sensitive")
        if cfg.method == "reweighing":
            if "dp" in ctx.policy.guards:
                raise UnsupportedError("fairness_mitigation: reweighing cannot be combined with dp (Opacus clips "
                                       "unweighted per-sample gradients)")
            from rai_ft.fairness.reweighing import reweighing_weights

            ctx.sample_weights = reweighing_weights(ctx.data.train[self.column].to_numpy(),
                                                    ctx.data.train[LABEL].to_numpy()).tolist()
        elif len(ctx.data.labels) != 2:
            raise UnsupportedError(MSG_NOT_BINARY.format(k=len(ctx.data.labels)))

    def on_train_end(self, ctx: "TrainContext") -> None:
        """threshold_optimizer: fit group thresholds on the validation split."""
        cfg = self.config
        if cfg.method != "threshold_optimizer":
            return
        from rai_ft.fairness.thresholds import fit_thresholds

        val = ctx.data.validation
        pos = ctx.data.positive_index
        proba = ctx.predictor().proba(val[TEXT].tolist(), desc="fit thresholds")
        self.thresholds = fit_thresholds(proba[:, pos], (val[LABEL].to_numpy() == pos).astype(int),
                                         val[self.column].to_numpy(), cfg.constraint, cfg.objective, self.column,
                                         cfg.seed, cfg.min_group_size)

    def postprocessor(self, frame: Any, positive_index: int) -> Any:
        """The fitted thresholds bound to *frame*'s rows (None for reweighing)."""
        if self.thresholds is None:
            return None
        from rai_ft.fairness.thresholds import GroupThresholds

        return GroupThresholds(self.thresholds, frame[self.column].to_numpy(), positive_index)

    def mitigation(self) -> MitigationPlan:
        """The targeted disparity; thresholds are compared with the same model undecided, reweighing with the
        baseline twin."""
        cfg = self.config
        return MitigationPlan(cfg.method, self.column, cfg.constraint, cfg.max_accuracy_cost,
                              "undecided" if cfg.method == "threshold_optimizer" else "baseline",
                              config=cfg.model_dump() if self.restored is None else self.restored)

    @classmethod
    def restore(cls, model_dir: Path, config: MitigationConfig,
                data: "DataBundle") -> "FairnessMitigationGuard | None":
        """The group thresholds saved with a model (None if it has none); *data* must have their column."""
        from rai_ft.fairness.thresholds import load_thresholds

        saved = load_thresholds(model_dir)
        if saved is None:
            return None
        if saved["column"] not in data.sensitive:
            raise SpecError(MSG_THRESHOLD_COLUMN.format(column=saved["column"]), field="data.sensitive")
        settings = {k: saved[k] for k in ("constraint", "objective", "column")}
        guard = cls(config.model_copy(update={"method": "threshold_optimizer", "constraint": saved["constraint"],
                                              "objective": saved["objective"], "sensitive": saved["column"]}))
        guard.thresholds, guard.column, guard.restored = saved, saved["column"], settings
        return guard

    def save_artifacts(self, model_dir: Any) -> None:
        """Save the fitted thresholds next to the weights (JSON, no pickle)."""
        if self.thresholds is not None:
            from rai_ft.fairness.thresholds import save_thresholds

            save_thresholds(model_dir, self.thresholds)

    def findings(self) -> list[Finding]:
        """State the trade-off a reader must know."""
        cfg = self.config
        if cfg.method == "threshold_optimizer":
            out = [Finding("info", f"fairness_mitigation: group thresholds ({cfg.constraint}) on {self.column!r} "
                           "are applied after the model; the sensitive attribute is needed at prediction time and "
                           "predictions near a threshold are randomised", source=self.name)]
            pooled = (self.thresholds or {}).get("pooled") or []
            if pooled:
                out.append(Finding("warn", f"fairness_mitigation: groups with fewer than {cfg.min_group_size} "
                                   f"validation examples share pooled thresholds: {', '.join(pooled)} (and any group "
                                   "unseen in validation); their parity is not enforced individually",
                                   source=self.name))
            return out
        return [Finding("info", f"fairness_mitigation: training examples reweighed so that the label is independent "
                        f"of {self.column!r}", source=self.name)]

    def summary(self) -> dict[str, Any]:
        """The method and, for thresholds, the fitted values."""
        return {"method": self.config.method, "column": self.column,
                "thresholds": self.thresholds}
