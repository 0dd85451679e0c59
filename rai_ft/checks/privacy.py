"""Check ``privacy``: membership-inference audit and a PII scan of the training text.

MIA: train members (a seeded sample of the training split) vs non-members (the test split, whose
predictions are shared with the other checks); one extra forward pass over the members only. A shift control
(:mod:`rai_ft.privacy.shift`) asks whether the two sets can be told apart by their text alone, without the model:
if they can, the AUC mixes membership with distribution shift, and a finding says so.

The attacked unit and its score follow the predictions' type, not a task name. A text classifier's example is a
text scored by log p(true label), calibrated per label. A tagger's (:class:`TokenPredictions`) is a sentence scored
by the mean over its words of log p(true tag) (minus the sentence loss), calibrated per *dominant entity type*
(the type the sentence holds most often, ``O`` for none): sentences full of rare entities are harder for every
model, and calibrating per type keeps that difficulty from looking like membership.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample
from rai_ft.tasks.token_classification.predictions import TokenPredictions

__all__ = ["PrivacyCheck", "PrivacyConfig", "MSG_MEMBERS_UNKNOWN", "MSG_MIA_HIGH", "MSG_PII_FOUND",
           "MSG_NO_SENTENCES", "MSG_SHIFT", "MSG_NO_TEXT"]

MSG_MEMBERS_UNKNOWN = ("privacy: membership-inference audit skipped: this model was not trained on this spec's "
                       "training split, so its members are unknown")
MSG_MIA_HIGH = ("membership inference AUC {auc:.3f}: the model's losses tell its training examples apart from "
                "unseen ones")
MSG_PII_FOUND = ("training text holds personal data in {n} of {scanned} examples ({kinds}); consider guard "
                 "deidentify")
MSG_SHIFT = ("membership inference: a text-only classifier tells the training examples from the non-members (the "
             "test split) with AUC {auc:.3f} (above max_shift_auc {limit:.2f}): they differ in distribution, so the "
             "MIA AUC mixes membership with that shift and may overstate or hide leakage; prefer "
             "privacy.mia_auc_calibrated, or audit against held-out data from the training distribution")
MSG_NO_TEXT = ("privacy: the inputs are images, not text: no PII scan and no text-only shift control (faces or "
               "writing inside images are not looked for)")
MSG_NO_SENTENCES = "privacy: token predictions but no training sentences in the audit context (ctx.data is None)"

# (member log-probabilities, their calibration groups, non-member log-probabilities, their groups)
Scores = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class PrivacyConfig(CheckConfig):
    """Settings of the privacy check."""

    mia: bool = True
    max_examples: int = Field(500, ge=10, description="Members and non-members attacked (each).")
    pii: bool = True
    pii_examples: int = Field(5, ge=0, le=50, description="Masked PII snippets shown in the report.")
    shift_control: bool = Field(True, description="Test whether members and non-members differ by text alone.")
    max_shift_auc: float = Field(0.6, gt=0.5, le=1, description="A shift AUC above this is a warn finding.")
    seed: int = 0


def _text_scores(ctx: AuditContext, members: np.ndarray, nonmembers: np.ndarray) -> Scores:
    """Texts: log p(true label), calibrated per label."""
    from rai_ft.privacy.mia import true_label_logprob

    assert ctx.predictor is not None
    pred = ctx.predictions
    member_y = np.asarray(ctx.train_labels)[members]
    member_proba = ctx.predictor.proba([ctx.train_texts[i] for i in members], desc="privacy: members",
                                       progress=not ctx.quiet)
    return (true_label_logprob(member_proba, member_y), member_y,
            true_label_logprob(pred.proba[nonmembers], pred.y_true[nonmembers]), pred.y_true[nonmembers])


def _sentence_scores(ctx: AuditContext, members: np.ndarray, nonmembers: np.ndarray) -> Scores:
    """Sentences: the mean over words of log p(true tag), calibrated per dominant entity type."""
    from rai_ft.privacy.mia import mean_logprob
    from rai_ft.tasks.token_classification.data import TAGS, TOKENS
    from rai_ft.tasks.token_classification.entities import dominant_type

    pred = ctx.predictions
    if ctx.data is None or not isinstance(pred, TokenPredictions):
        raise ValueError(MSG_NO_SENTENCES)
    predictor: Any = ctx.predictor  # a TokenPredictor: per-word tag probabilities
    train = ctx.data.train
    member_tags = [np.asarray(train[TAGS].iloc[i], dtype=int) for i in members]
    member_proba = predictor.word_proba([list(train[TOKENS].iloc[i]) for i in members],
                                            desc="privacy: members", progress=not ctx.quiet)
    test_tags, test_proba = pred.per_sentence(pred.y_true), pred.per_sentence(pred.proba)
    nonmember_tags = [test_tags[i] for i in nonmembers]

    def groups(tags: list[np.ndarray]) -> np.ndarray:
        return np.array([dominant_type([pred.labels[t] for t in s]) for s in tags], dtype=object)

    return (mean_logprob(member_proba, member_tags), groups(member_tags),
            mean_logprob([test_proba[i] for i in nonmembers], nonmember_tags), groups(nonmember_tags))


def _scorer(ctx: AuditContext) -> tuple[Callable[[AuditContext, np.ndarray, np.ndarray], Scores], dict[str, str]]:
    """The per-example score for these predictions, and how the record describes it."""
    if isinstance(ctx.predictions, TokenPredictions):
        return _sentence_scores, {"unit": "sentences", "score": "mean log-probability of the true tags",
                                  "calibrated_by": "dominant entity type"}
    unit = "texts" if ctx.predictions.inputs_are_text else "images"
    return _text_scores, {"unit": unit, "score": "log-probability of the true label", "calibrated_by": "label"}


class PrivacyCheck(Check[PrivacyConfig]):
    """Does the model leak its training set, and does the training text hold personal data?"""

    name = "privacy"
    config_model = PrivacyConfig
    presentation_settings = ("pii_examples",)
    metric_patterns = ("privacy.mia_auc", "privacy.mia_auc_loss", "privacy.mia_auc_calibrated",
                       "privacy.mia_tpr_at_1pct_fpr", "privacy.pii_texts", "privacy.pii_rate",
                       "privacy.cumulative_epsilon", "privacy.mia_shift_auc")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Attack and scan."""
        cfg = self.config
        metrics: dict[str, float | None] = {}
        details: dict[str, Any] = {}
        findings: list[Finding] = []
        if cfg.mia and not ctx.members_known:
            findings.append(Finding("info", MSG_MEMBERS_UNKNOWN, source=self.name))
        elif cfg.mia and ctx.predictor is not None:  # no model (a before/after re-scoring): nothing to attack
            details["mia"] = self._mia(ctx, cfg)
            attacks = details["mia"]["attacks"]
            metrics["privacy.mia_auc_loss"] = attacks["loss"]["auc"]
            metrics["privacy.mia_auc_calibrated"] = attacks.get("calibrated", {}).get("auc")
            metrics["privacy.mia_auc"] = max(a["auc"] for a in attacks.values())
            metrics["privacy.mia_tpr_at_1pct_fpr"] = max(a["tpr_at_1pct_fpr"] for a in attacks.values())
            auc = metrics["privacy.mia_auc"]
            if auc is not None and auc > 0.6:
                findings.append(Finding("warn", MSG_MIA_HIGH.format(auc=auc), source=self.name))
            shift = details["mia"].get("shift_auc")
            metrics["privacy.mia_shift_auc"] = shift
            if shift is not None and shift > cfg.max_shift_auc:
                findings.append(Finding("warn", MSG_SHIFT.format(auc=shift, limit=cfg.max_shift_auc),
                                        source=self.name))
        if cfg.pii and not ctx.predictions.inputs_are_text:
            findings.append(Finding("info", MSG_NO_TEXT, source=self.name))
        elif cfg.pii:
            from rai_ft.privacy.pii import scan_texts

            scan = scan_texts(ctx.train_texts, max_examples=cfg.pii_examples)
            details["pii"] = scan
            metrics["privacy.pii_texts"] = float(scan["texts_with_pii"])
            metrics["privacy.pii_rate"] = scan["texts_with_pii"] / max(1, scan["texts_scanned"])
            if scan["texts_with_pii"]:
                kinds = ", ".join(f"{k} {v}" for k, v in scan["counts"].items() if v)
                findings.append(Finding("warn", MSG_PII_FOUND.format(n=scan["texts_with_pii"],
                                                                     scanned=scan["texts_scanned"], kinds=kinds),
                                        source=self.name))
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details)

    def _mia(self, ctx: AuditContext, cfg: PrivacyConfig) -> dict[str, Any]:
        from rai_ft.privacy.mia import attack_scores
        from rai_ft.privacy.shift import text_shift_auc

        # one test example per test text (a text, or a tagger's sentence)
        n = int(min(cfg.max_examples, len(ctx.train_texts), len(ctx.texts)))
        # chosen (and ordered) by text, so the same rows in another order give the same audit
        members = np.asarray(order_free_sample(ctx.train_texts, n, cfg.seed), dtype=int)
        nonmembers = np.asarray(order_free_sample(ctx.texts, n, cfg.seed), dtype=int)
        scores, described = _scorer(ctx)
        m_lp, m_y, n_lp, n_y = scores(ctx, members, nonmembers)
        shift = text_shift_auc([ctx.train_texts[i] for i in members], [ctx.texts[i] for i in nonmembers],
                               seed=cfg.seed) if cfg.shift_control and ctx.predictions.inputs_are_text else None
        return {"members": n, "nonmembers": n, "nonmember_source": "test split", **described,
                "member_mean_loss": float(-m_lp.mean()), "nonmember_mean_loss": float(-n_lp.mean()),
                "attacks": attack_scores(m_lp, m_y, n_lp, n_y, seed=cfg.seed), "shift_auc": shift}
