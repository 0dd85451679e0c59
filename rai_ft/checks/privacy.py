"""Check ``privacy``: membership-inference audit and a PII scan of the training text.

MIA: train members (a seeded sample of the training split) vs non-members (the test split, whose
predictions are shared with the other checks); one extra forward pass over the members only.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.results import CheckResult, Finding
from rai_ft.sampling import order_free_sample

__all__ = ["PrivacyCheck", "PrivacyConfig"]


class PrivacyConfig(CheckConfig):
    """Settings of the privacy check."""

    mia: bool = True
    max_examples: int = Field(500, ge=10, description="Members and non-members attacked (each).")
    pii: bool = True
    pii_examples: int = Field(5, ge=0, le=50, description="Masked PII snippets shown in the report.")
    seed: int = 0


class PrivacyCheck(Check[PrivacyConfig]):
    """Does the model leak its training set, and does the training text hold personal data?"""

    name = "privacy"
    config_model = PrivacyConfig
    presentation_settings = ("pii_examples",)
    metric_patterns = ("privacy.mia_auc", "privacy.mia_auc_loss", "privacy.mia_auc_calibrated",
                       "privacy.mia_tpr_at_1pct_fpr", "privacy.pii_texts", "privacy.pii_rate",
                       "privacy.cumulative_epsilon")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Attack and scan."""
        cfg = self.config
        metrics: dict[str, float | None] = {}
        details: dict = {}
        findings: list[Finding] = []
        if cfg.mia and not ctx.members_known:
            findings.append(Finding("info", "privacy: membership-inference audit skipped: this model was not trained "
                                    "on this spec's training split, so its members are unknown", source=self.name))
        elif cfg.mia and ctx.predictor is not None:  # no model (a before/after re-scoring): nothing to attack
            details["mia"] = self._mia(ctx, cfg)
            attacks = details["mia"]["attacks"]
            metrics["privacy.mia_auc_loss"] = attacks["loss"]["auc"]
            metrics["privacy.mia_auc_calibrated"] = attacks.get("calibrated", {}).get("auc")
            metrics["privacy.mia_auc"] = max(a["auc"] for a in attacks.values())
            metrics["privacy.mia_tpr_at_1pct_fpr"] = max(a["tpr_at_1pct_fpr"] for a in attacks.values())
            auc = metrics["privacy.mia_auc"]
            if auc is not None and auc > 0.6:
                findings.append(Finding("warn", f"membership inference AUC {auc:.3f}: the model's losses tell its "
                                        "training examples apart from unseen ones", source=self.name))
        if cfg.pii:
            from rai_ft.privacy.pii import scan_texts

            scan = scan_texts(ctx.train_texts, max_examples=cfg.pii_examples)
            details["pii"] = scan
            metrics["privacy.pii_texts"] = float(scan["texts_with_pii"])
            metrics["privacy.pii_rate"] = scan["texts_with_pii"] / max(1, scan["texts_scanned"])
            if scan["texts_with_pii"]:
                kinds = ", ".join(f"{k} {v}" for k, v in scan["counts"].items() if v)
                findings.append(Finding("warn", f"training text holds personal data in {scan['texts_with_pii']} of "
                                        f"{scan['texts_scanned']} examples ({kinds}); consider guard deidentify",
                                        source=self.name))
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details)

    def _mia(self, ctx: AuditContext, cfg: PrivacyConfig) -> dict:
        from rai_ft.privacy.mia import attack_scores, true_label_logprob

        pred = ctx.predictions
        n = int(min(cfg.max_examples, len(ctx.train_texts), len(pred)))
        # chosen (and ordered) by text, so the same rows in another order give the same audit
        members = np.asarray(order_free_sample(ctx.train_texts, n, cfg.seed), dtype=int)
        nonmembers = np.asarray(order_free_sample(ctx.texts, n, cfg.seed), dtype=int)
        member_y = np.asarray(ctx.train_labels)[members]
        assert ctx.predictor is not None
        member_proba = ctx.predictor.proba([ctx.train_texts[i] for i in members], desc="privacy: members",
                                           progress=not ctx.quiet)
        m_lp = true_label_logprob(member_proba, member_y)
        n_lp = true_label_logprob(pred.proba[nonmembers], pred.y_true[nonmembers])
        return {"members": n, "nonmembers": n, "nonmember_source": "test split",
                "member_mean_loss": float(-m_lp.mean()), "nonmember_mean_loss": float(-n_lp.mean()),
                "attacks": attack_scores(m_lp, member_y, n_lp, pred.y_true[nonmembers], seed=cfg.seed)}
