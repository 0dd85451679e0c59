"""Counterfactual identity swaps: change who a text is about, keep everything else, see if the prediction moves.

Term tuples are aligned across groups (``("he", "she")``). With two groups every term is swapped with its
counterpart at once (so "his wife" becomes "her husband"); with more, the text is rewritten into each group in turn
(every term of the attribute moved to that group).
Terms match whatever their case (``Black``, ``emily``) and the text's case is kept (``He`` -> ``She``); "her" becomes
"his" before a noun phrase and "him" otherwise. Lists are the project's own; policies may replace them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

import numpy as np

from rai_ft.fairness.significance import sign_test_p, wilson_interval
from rai_ft.robustness.text import WordText

__all__ = ["DEFAULT_SWAPS", "swap_text", "counterfactual_flips"]

# attribute -> (group names, aligned term tuples)
DEFAULT_SWAPS: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
    "gender": (("male", "female"), [
        ("he", "she"), ("him", "her"), ("his", "her"), ("himself", "herself"), ("man", "woman"), ("men", "women"),
        ("male", "female"), ("boy", "girl"), ("boys", "girls"), ("husband", "wife"), ("husbands", "wives"),
        ("father", "mother"), ("son", "daughter"), ("brother", "sister"), ("mr", "mrs"), ("gentleman", "lady"),
        ("uncle", "aunt"), ("nephew", "niece"), ("king", "queen"), ("sir", "madam"), ("boyfriend", "girlfriend"),
    ]),
    "race": (("white", "black", "asian", "hispanic"), [
        ("white", "black", "asian", "hispanic"), ("caucasian", "african-american", "asian-american", "latino"),
    ]),
}


# Words after which an ambiguous pronoun ("her") is an object (-> "him"), not a possessive (-> "his").
_OBJECT_FOLLOWERS = frozenset(
    "a an the and or but nor so yet to of in on at by for with from about into onto over under after before as "
    "than that this these those if when while because though although since until up down out off away back again "
    "too very really just also once now then there here".split())


def _case_like(src: str, word: str, listed: str) -> str:
    """*word* in the case of the text's *src*; a term written exactly as listed keeps the list's own case."""
    if src == listed:
        return word
    word = word.lower()
    if src.isupper() and len(src) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if src[:1].isupper() else word


def _choose(options: list[tuple[tuple[str, ...], int]], to_of: Callable[[int], int], wt: WordText, j: int
            ) -> tuple[tuple[str, ...], int]:
    """Among the rows a term appears in, the one whose counterpart fits here.

    Only English "her" is ambiguous in the built-in lists (his or him): before a word that can start a noun phrase
    it is possessive ("her book" -> "his book"), else an object ("saw her." / "gave her the" -> "him").
    """
    targets = {row[to_of(i)].lower() for row, i in options}
    if len(targets) < 2:
        return options[0]
    nxt = wt.words[j + 1].lower() if j + 1 < len(wt.words) else None
    gap = wt.gaps[j + 1].strip()
    possessive = nxt is not None and not gap and nxt not in _OBJECT_FOLLOWERS
    want = {"his"} if possessive else {"him"}
    return next((o for o in options if {o[0][to_of(o[1])].lower()} & want), options[0])


def swap_text(text: str, terms: list[tuple[str, ...]], target: int | None) -> tuple[str, list[str]]:
    """*text* with its listed terms rewritten: to group *target*, or (``None``, two groups) each to its counterpart.

    Terms match case-insensitively (a policy may write "Black" or "Emily"); the text's case is kept. Returns
    (new text, the swaps made as ``"his→her"``).
    """
    lookup: dict[str, list[tuple[tuple[str, ...], int]]] = defaultdict(list)
    for row in terms:
        for i, t in enumerate(row):
            lookup[t.lower()].append((row, i))
    wt, pairs = WordText.parse(text), []
    original = wt
    for j, w in enumerate(original.words):
        options = lookup.get(w.lower())
        if not options:
            continue
        row, i = _choose(options, lambda k: (1 - k) if target is None else target, original, j)
        to = (1 - i) if target is None else target
        if to != i:
            wt = wt.replace(j, _case_like(w, row[to], row[i]))
            pairs.append(f"{w.lower()}→{row[to].lower()}")
    return wt.render(), pairs


def counterfactual_flips(texts: list[str], predict: Callable[[list[str]], np.ndarray],
                         swaps: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]], positive: int,
                         original_proba: np.ndarray | None = None,
                         decide: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                         original_pred: np.ndarray | None = None) -> dict[str, Any]:
    """Flip rate and score change of every counterfactual, overall, per attribute and per swap pair.

    ``flip_rate`` = share of (text, target group) counterfactuals whose decided class differs from the
    original's; ``mean_abs_score_change`` = mean |Δ p(favourable)|. Texts without any listed term are not counted.
    *decide* (probabilities, indices into *texts*) -> classes decides as the deployed model does (default: argmax);
    *original_pred* are the originals' decided classes (default: decided from *original_proba*).
    """
    jobs: list[tuple[int, str, str, list[str]]] = []
    for attr, (group_names, terms) in swaps.items():
        for i, text in enumerate(texts):
            for target in ([None] if len(group_names) == 2 else range(len(group_names))):
                new, pairs = swap_text(text, terms, target)
                if pairs:
                    jobs.append((i, attr, new, pairs))
    base = original_proba if original_proba is not None else predict(texts)
    decide = decide or (lambda p, _rows: p.argmax(1))
    base_pred = original_pred if original_pred is not None else decide(base, np.arange(len(texts)))
    if not jobs:
        return {"n_counterfactuals": 0, "n_texts": 0, "flip_rate": None, "mean_abs_score_change": None,
                "flip_rate_ci": None, "mean_score_change": None, "sign_test_p_value": None,
                "attributes": {}, "pairs": [], "examples": []}
    proba = predict([j[2] for j in jobs])
    rows = np.asarray([j[0] for j in jobs])
    flips = decide(proba, rows) != np.asarray(base_pred)[rows]
    delta = proba[:, positive] - base[[j[0] for j in jobs], positive]
    per_attr: dict[str, list[int]] = defaultdict(list)
    per_pair: dict[str, list[int]] = defaultdict(list)
    for k, (_, attr, _, pairs) in enumerate(jobs):
        per_attr[attr].append(k)
        for p in set(pairs):
            per_pair[p].append(k)

    def stats(ks: list[int]) -> dict[str, Any]:
        return {"n": len(ks), "flip_rate": float(flips[ks].mean()), "mean_score_change": float(delta[ks].mean()),
                "mean_abs_score_change": float(np.abs(delta[ks]).mean())}

    flipped = [k for k in np.argsort(-np.abs(delta)) if flips[k]][:10]
    return {
        "n_counterfactuals": len(jobs), "n_texts": len({j[0] for j in jobs}),
        "flip_rate": float(flips.mean()), "mean_abs_score_change": float(np.abs(delta).mean()),
        "flip_rate_ci": wilson_interval(int(flips.sum()), len(jobs)), "mean_score_change": float(delta.mean()),
        "sign_test_p_value": sign_test_p(delta),
        "attributes": {a: stats(ks) for a, ks in per_attr.items()},
        "pairs": sorted(({"pair": p, **stats(ks)} for p, ks in per_pair.items()), key=lambda r: -r["n"]),
        "examples": [{"index": jobs[k][0], "original": texts[jobs[k][0]], "counterfactual": jobs[k][2],
                      "swapped": jobs[k][3], "score_change": float(delta[k])} for k in flipped],
    }
