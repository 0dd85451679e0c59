"""Pure functions over labelled text that the ``data`` check reports (no model, no heavy imports).

Labels are class indices; texts are strings. Every function is invariant under renaming/permuting the label
indices and under shuffling the rows (ties are broken by text, never by label index or position).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

__all__ = ["NORMALISATION", "TOKENISATION", "conflicting_duplicates", "label_rates", "normalise", "shortcut_tokens",
           "train_test_overlap", "word_tokens"]

NORMALISATION = "lower-cased, punctuation removed, whitespace collapsed (a text that is only punctuation is kept as is)"
TOKENISATION = "lower-cased word tokens (\\w+, with in-word apostrophes), counted once per row"

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+(?:'\w+)*")


def normalise(text: str) -> str:
    """The key texts are compared by: lower-case, punctuation stripped, whitespace collapsed; never empty."""
    key = _SPACE.sub(" ", _PUNCT.sub("", text.lower())).strip()
    return key or text


def word_tokens(text: str) -> set[str]:
    """The distinct lower-cased word tokens of *text*."""
    return set(_WORD.findall(text.lower()))


def _examples(texts: Sequence[str], max_examples: int, max_chars: int = 120) -> list[str]:
    """At most *max_examples* distinct texts, sorted (row-order independent), truncated to *max_chars*."""
    picked = sorted(set(texts))[:max_examples]
    return [t if len(t) <= max_chars else t[:max_chars - 1] + "…" for t in picked]


def train_test_overlap(train: Sequence[str], test: Sequence[str], max_examples: int = 5) -> dict[str, Any]:
    """Test rows whose text also occurs in *train*, exactly and after :func:`normalise` (shares of test rows)."""
    exact_keys, norm_keys = set(train), {normalise(t) for t in train}
    exact = [t for t in test if t in exact_keys]
    normed = [t for t in test if normalise(t) in norm_keys]
    n = len(test)
    return {"test_rows": n, "exact_rows": len(exact), "normalised_rows": len(normed),
            "exact_share": len(exact) / n if n else None, "normalised_share": len(normed) / n if n else None,
            "examples": _examples(normed, max_examples)}


def conflicting_duplicates(texts: Sequence[str], labels: Sequence[int], max_examples: int = 5) -> dict[str, Any]:
    """Texts (after :func:`normalise`) that occur more than once, split into consistent and conflicting labels."""
    seen: dict[str, set[int]] = defaultdict(set)
    rows: Counter[str] = Counter()
    first: dict[str, str] = {}
    for text, label in zip(texts, labels):
        key = normalise(text)
        seen[key].add(int(label))
        rows[key] += 1
        first[key] = min(first.get(key, text), text)
    dup = [k for k, c in rows.items() if c > 1]
    bad = [k for k in dup if len(seen[k]) > 1]
    return {"duplicated_texts": len(dup), "consistent_texts": len(dup) - len(bad), "conflicting_texts": len(bad),
            "conflicting_rows": sum(rows[k] for k in bad), "exact_conflicting_texts": _exact_conflicts(texts, labels),
            "examples": _examples([first[k] for k in bad], max_examples)}


def _exact_conflicts(texts: Sequence[str], labels: Sequence[int]) -> int:
    """Distinct texts, compared exactly, that carry more than one label."""
    seen: dict[str, set[int]] = defaultdict(set)
    for text, label in zip(texts, labels):
        seen[text].add(int(label))
    return sum(len(v) > 1 for v in seen.values())


def _spread(values: list[float]) -> float | None:
    return max(values) - min(values) if len(values) >= 2 else None


def label_rates(labels: Sequence[int], groups: Sequence[str], label_names: list[str], min_size: int) -> dict[str, Any]:
    """Per group: size and the rate of every label; the largest gap (max - min over groups of at least *min_size*
    rows) over all labels, and the label it is on (``None`` with fewer than two such groups)."""
    by_group: dict[str, Counter[int]] = defaultdict(Counter)
    for label, group in zip(labels, groups):
        by_group[str(group)][int(label)] += 1
    rows: list[dict[str, Any]] = []
    for group, counts in by_group.items():
        size = sum(counts.values())
        rows.append({"group": group, "size": size, "sufficient": size >= min_size,
                     "rates": {name: counts[i] / size for i, name in enumerate(label_names)}})
    rows.sort(key=lambda r: (-r["size"], r["group"]))
    gaps = {name: _spread([r["rates"][name] for r in rows if r["sufficient"]]) for name in label_names}
    measured = {k: v for k, v in gaps.items() if v is not None}
    gap_label = max(sorted(measured), key=lambda k: measured[k]) if measured else None
    return {"groups": rows, "gaps": gaps, "gap": measured.get(gap_label) if gap_label else None,
            "gap_label": gap_label}


def _binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    from scipy.stats import binom

    return float(binom.sf(k - 1, n, p))


def shortcut_tokens(texts: Sequence[str], labels: Sequence[int], min_support: float, min_purity: float,
                    alpha: float) -> dict[str, Any]:
    """Word tokens whose presence nearly fixes the label.

    A token is tested when its support (rows containing it / rows) is at least *min_support*; it is a shortcut when
    also its purity (share of those rows carrying its majority label) is at least *min_purity* and a one-sided
    binomial test rejects "purity = that label's base rate" at level *alpha*, Bonferroni-corrected over the tokens
    tested times the labels. Returns the shortcuts (most supported first) and the number of tokens tested.
    """
    n = len(texts)
    per_token: dict[str, Counter[int]] = defaultdict(Counter)
    for text, label in zip(texts, labels):
        for tok in word_tokens(text):
            per_token[tok][int(label)] += 1
    base = Counter(int(y) for y in labels)
    tested = {t: c for t, c in per_token.items() if n and sum(c.values()) / n >= min_support}
    tests = len(tested) * max(len(base), 1)
    found: list[dict[str, Any]] = []
    for tok, counts in tested.items():
        support = sum(counts.values())
        top = max(counts.values())
        purity = top / support
        if purity < min_purity:
            continue
        label = min((lab for lab, c in counts.items() if c == top), key=lambda lab: base[lab])
        p_value = min(1.0, _binom_sf(top, support, base[label] / n) * tests)
        if p_value <= alpha:
            found.append({"token": tok, "rows": support, "support": support / n, "purity": purity,
                          "label_index": label, "label_base_rate": base[label] / n, "p_value": p_value})
    found.sort(key=lambda r: (-r["rows"], r["token"]))
    return {"rows": n, "tokens_tested": len(tested), "tests": tests, "shortcuts": found,
            "nearest": _nearest(tested, n, {r["token"] for r in found})}


def _nearest(tested: dict[str, Counter[int]], n: int, skip: set[str], k: int = 5) -> list[dict[str, Any]]:
    """The *k* purest tested tokens that are not shortcuts (how close the data comes to the thresholds)."""
    rows: list[dict[str, Any]] = [{"token": t, "rows": sum(c.values()), "support": sum(c.values()) / n,
             "purity": max(c.values()) / sum(c.values())} for t, c in tested.items() if t not in skip]
    return sorted(rows, key=lambda r: (-r["purity"], -r["rows"], r["token"]))[:k]
