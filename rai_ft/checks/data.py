"""Check ``data``: facts about the labelled data itself, independent of training and of the model.

- **Label base rates by group** (Deepchecks' label-drift/segment checks): per split and sensitive attribute, the
  size of each group and the rate of every label in it. ``data.{attr}.label_rate_gap`` is the largest gap (max - min
  over groups with at least ``min_group_size`` rows, over all labels) on the TRAIN split; every split is in details.
  Groups below ``min_group_size`` are shown but not compared (a finding names them); with fewer than two comparable
  groups the gap is unmeasured (``None``, a threshold on it fails) and a finding says so.
- **Train/test overlap** (Deepchecks' train-test samples mix, Giskard's data leakage): share of test rows whose text
  is in the training split after normalisation (lower-case, punctuation stripped, whitespace collapsed), exact
  matches counted separately in details (``data.train_test_overlap``).
- **Conflicting duplicates** (Deepchecks' conflicting labels): distinct normalised texts that carry more than one
  label, over all splits pooled (``data.conflicting_duplicates``).
- **Shortcut tokens** (Giskard's spurious correlation): word tokens of the training split whose presence nearly fixes
  the label over a non-trivial share of rows: support >= ``min_support``, purity >= ``min_purity`` and a one-sided
  binomial test against the label's base rate, Bonferroni-corrected (``data.shortcut_tokens``, a count).

What it cannot see: multi-word shortcuts (phrases, templates, word order), shortcuts that live only in the
validation or test split, features of the text other than words (length, casing, punctuation, encoding
artefacts), near-duplicates beyond normalisation (paraphrases), label noise without a duplicate to contradict it,
intersections of sensitive attributes, and whether a flagged token is a legitimate feature of the task or a spurious
cue (it only says that the token nearly fixes the label).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import Field

from rai_ft.checks.base import AuditContext, Check, CheckConfig
from rai_ft.data.loading import LABEL, TEXT
from rai_ft.data.quality import (
    NORMALISATION,
    TOKENISATION,
    conflicting_duplicates,
    label_rates,
    shortcut_tokens,
    train_test_overlap,
)
from rai_ft.results import CheckResult, Finding

__all__ = ["CANNOT_SEE", "MSG_CONFLICTS", "MSG_GAP", "MSG_GAP_UNMEASURED", "MSG_NO_DATA", "MSG_OVERLAP",
           "MSG_SHORTCUTS", "MSG_SMALL_GROUPS", "DataCheck", "DataCheckConfig"]

MSG_NO_DATA = "no data bundle in the audit context"
MSG_SHORTCUTS = ("data: {n} shortcut token(s) in the training split nearly fix the label: {listed}; a model can "
                 "learn them instead of the task")
MSG_OVERLAP = "data: {rows} of {n} test rows ({share:.1%}) also occur in the training split (normalised text)"
MSG_CONFLICTS = "data: {n} distinct text(s) carry conflicting labels ({rows} rows over all splits)"
MSG_GAP = "data: {attr}: label rate gap on train {gap:.3f} (label {label}: {hi} {hi_rate:.3f} vs {lo} {lo_rate:.3f})"
MSG_GAP_UNMEASURED = ("data: {attr}: fewer than two groups with at least min_group_size={min_size} training rows; "
                      "data.{attr}.label_rate_gap is unmeasured")
MSG_SMALL_GROUPS = ("data: {attr}: {n} group(s) below min_group_size={min_size} training rows are shown but not "
                    "compared: {listed}")

CANNOT_SEE = ["multi-word shortcuts (phrases, templates, word order)",
              "shortcuts present only in the validation or test split",
              "non-word cues (length, casing, punctuation, encoding artefacts)",
              "near-duplicates beyond normalisation (paraphrases)",
              "label noise without a duplicate to contradict it",
              "intersections of sensitive attributes",
              "whether a flagged token is a legitimate feature of the task or a spurious cue"]
SPLITS = ("train", "validation", "test")


class DataCheckConfig(CheckConfig):
    """Settings of the data check."""

    min_group_size: int = Field(30, ge=1, description="Groups with fewer training rows are shown but not compared.")
    min_support: float = Field(0.01, gt=0.0, le=1.0,
                               description="A token must occur in at least this share of training rows to be tested.")
    min_purity: float = Field(0.95, gt=0.5, le=1.0,
                              description="Share of a token's rows with its majority label for it to be a shortcut.")
    alpha: float = Field(0.01, gt=0.0, lt=1.0,
                         description="Level of the one-sided binomial test (purity above the label's base rate), "
                                     "Bonferroni-corrected over tokens tested x labels.")
    max_train_test_overlap: float = Field(0.01, ge=0.0, le=1.0,
                                          description="Warn when a larger share of test rows occurs in train.")
    max_examples: int = Field(5, ge=0, le=50, description="Example texts listed per table (truncated).")


def _rates_by_attr(bundle: Any, min_size: int) -> dict[str, dict[str, Any]]:
    """attr -> split -> :func:`label_rates` table."""
    out: dict[str, dict[str, Any]] = {}
    for attr in bundle.sensitive:
        out[attr] = {}
        for split in SPLITS:
            frame: pd.DataFrame = getattr(bundle, split)
            out[attr][split] = label_rates(frame[LABEL].tolist(), frame[attr].astype(str).tolist(), bundle.labels,
                                           min_size)
    return out


def _gap_findings(attr: str, table: dict[str, Any], min_size: int) -> list[Finding]:
    """Info with the train gap, or warn that it is unmeasured; warn naming groups too small to compare."""
    found = []
    small = [g for g in table["groups"] if not g["sufficient"]]
    if small:
        listed = ", ".join(f"{g['group']} (n={g['size']})" for g in small[:8]) + (" …" if len(small) > 8 else "")
        found.append(Finding("warn", MSG_SMALL_GROUPS.format(attr=attr, n=len(small), min_size=min_size,
                                                             listed=listed), source="data"))
    if table["gap"] is None:
        found.append(Finding("warn", MSG_GAP_UNMEASURED.format(attr=attr, min_size=min_size), source="data"))
        return found
    label = table["gap_label"]
    ok = sorted((g for g in table["groups"] if g["sufficient"]), key=lambda g: (g["rates"][label], g["group"]))
    found.append(Finding("info", MSG_GAP.format(attr=attr, gap=table["gap"], label=label, hi=ok[-1]["group"],
                                                hi_rate=ok[-1]["rates"][label], lo=ok[0]["group"],
                                                lo_rate=ok[0]["rates"][label]), source="data"))
    return found


def _pooled(bundle: Any) -> pd.DataFrame:
    return pd.concat([getattr(bundle, s)[[TEXT, LABEL]] for s in SPLITS], ignore_index=True)


class DataCheck(Check[DataCheckConfig]):
    """Audit the training data: group label rates, train/test overlap, conflicting duplicates, shortcut tokens."""

    name = "data"
    config_model = DataCheckConfig
    metric_patterns = ("data.{attr}.label_rate_gap", "data.train_test_overlap", "data.conflicting_duplicates",
                       "data.shortcut_tokens")
    presentation_settings = ("max_examples",)

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compute every table from ``ctx.data`` (no model needed)."""
        cfg = self.config
        bundle = ctx.data
        if bundle is None:
            return CheckResult(name=self.name, status="skipped", error=MSG_NO_DATA)
        train, test = bundle.train, bundle.test
        rates = _rates_by_attr(bundle, cfg.min_group_size)
        overlap = train_test_overlap(train[TEXT].tolist(), test[TEXT].tolist(), cfg.max_examples)
        overlap_val = train_test_overlap(train[TEXT].tolist(), bundle.validation[TEXT].tolist(), cfg.max_examples)
        pooled = _pooled(bundle)
        dups = conflicting_duplicates(pooled[TEXT].tolist(), pooled[LABEL].tolist(), cfg.max_examples)
        short = shortcut_tokens(train[TEXT].tolist(), train[LABEL].tolist(), cfg.min_support, cfg.min_purity,
                                cfg.alpha)
        for s in short["shortcuts"]:
            s["label"] = bundle.labels[s.pop("label_index")]
        metrics: dict[str, float | None] = {f"data.{a}.label_rate_gap": t["train"]["gap"] for a, t in rates.items()}
        metrics.update({"data.train_test_overlap": overlap["normalised_share"],
                        "data.conflicting_duplicates": float(dups["conflicting_texts"]),
                        "data.shortcut_tokens": float(len(short["shortcuts"]))})
        findings = [f for a, t in rates.items() for f in _gap_findings(a, t["train"], cfg.min_group_size)]
        findings += self._findings(overlap, dups, short["shortcuts"], cfg.max_train_test_overlap)
        details = {"labels": bundle.labels, "positive_label": bundle.labels[bundle.positive_index],
                   "split_rows": {s: len(getattr(bundle, s)) for s in SPLITS}, "label_rates": rates,
                   "gap_split": "train", "min_group_size": cfg.min_group_size,
                   "overlap": {"train_test": overlap, "train_validation": overlap_val, "normalisation": NORMALISATION,
                               "max_train_test_overlap": cfg.max_train_test_overlap},
                   "duplicates": {**dups, "scope": "all splits pooled", "normalisation": NORMALISATION},
                   "shortcuts": {**short, "split": "train", "tokenisation": TOKENISATION,
                                 "min_support": cfg.min_support, "min_purity": cfg.min_purity, "alpha": cfg.alpha},
                   "cannot_see": CANNOT_SEE}
        return CheckResult(name=self.name, metrics=metrics, findings=findings, details=details)

    def _findings(self, overlap: dict[str, Any], dups: dict[str, Any], shortcuts: list[dict[str, Any]],
                  max_overlap: float) -> list[Finding]:
        """Warn on shortcuts, on overlap above the setting (info below it), on conflicting duplicates."""
        found = []
        if shortcuts:
            listed = ", ".join(f"'{s['token']}' (support {s['support']:.1%}, purity {s['purity']:.1%} {s['label']})"
                               for s in shortcuts[:8]) + (" …" if len(shortcuts) > 8 else "")
            found.append(Finding("warn", MSG_SHORTCUTS.format(n=len(shortcuts), listed=listed), source=self.name))
        share = overlap["normalised_share"]
        if share:
            found.append(Finding("warn" if share > max_overlap else "info",
                                 MSG_OVERLAP.format(rows=overlap["normalised_rows"], n=overlap["test_rows"],
                                                    share=share), source=self.name))
        if dups["conflicting_texts"]:
            found.append(Finding("warn", MSG_CONFLICTS.format(n=dups["conflicting_texts"],
                                                              rows=dups["conflicting_rows"]), source=self.name))
        return found
