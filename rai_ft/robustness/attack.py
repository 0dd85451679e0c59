"""The batched attack engine: many examples attacked in lock-step, one model call per round for all of them.

TextAttack attacks one example at a time, so each model call carries a handful of candidate texts. Here a *wave*
of examples advances together: every round gathers the candidates of all still-running examples and scores them
in one batched forward pass (texts sorted by length, padded per batch), then each example takes its best candidate.
The search per example is the same as TextAttack's ``GreedyWordSwapWIR`` (``wir``) or beam-1 ``GreedySearch``
(``greedy``): same goal (untargeted), same constraints, same acceptance rule (a swap is kept only if it lowers the
gold-label probability).

Optionally the search is *guided* by a cheaper predictor (``search_predict``, e.g. the same model under bfloat16
autocast) while every decision that is reported comes from ``predict``: clean predictions (skips), each candidate
the guide says succeeded (confirmed before the example stops; if not confirmed the search goes on from it), and the
final text of every example that runs out of candidates. So every reported success is adversarial for the model
as deployed; only the path the search takes may differ.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal

import numpy as np
from tqdm.auto import tqdm

from rai_ft.robustness.recipes import Recipe
from rai_ft.robustness.text import WordText, edit_distance
from rai_ft.robustness.transforms import STOPWORDS, candidates
from rai_ft.sampling import text_key

__all__ = ["AttackResult", "AttackRun", "run_attack", "Predictor"]

Predictor = Callable[[list[str]], np.ndarray]  # texts -> class probabilities (n, k)
Status = Literal["succeeded", "failed", "skipped"]


@dataclass
class AttackResult:
    """One attacked example. ``changed`` are word indices; words are listed so the report can highlight them."""

    id: int
    label: int
    status: Status
    original: str
    perturbed: str
    original_words: list[str]
    perturbed_words: list[str]
    changed: list[int]
    queries: int
    p_true_before: float
    p_true_after: float
    pred_before: int
    pred_after: int

    @property
    def perturbed_fraction(self) -> float:
        """Share of words changed."""
        return len(self.changed) / max(1, len(self.original_words))

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class AttackRun:
    """All results of one attack, plus how it ended."""

    results: list[AttackResult] = field(default_factory=list)
    requested: int = 0
    stopped_by_time_budget: bool = False
    seconds: float = 0.0
    model_calls: int = 0
    texts_scored: int = 0
    guided: bool = False  # search scored by search_predict, outcomes confirmed by predict


@dataclass
class _State:
    id: int
    label: int
    orig: WordText
    cur: WordText
    rng: np.random.Generator
    proba: np.ndarray
    modifiable: list[int]
    initial: np.ndarray = field(default_factory=lambda: np.zeros(0))  # probabilities of the unmodified text
    queries: int = 1
    order: list[int] = field(default_factory=list)
    pos: int = 0
    modified: list[int] = field(default_factory=list)
    edits: int = 0
    status: str = "running"
    pending: list[tuple[int, str, WordText]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return 1.0 - float(self.proba[self.label])


def _modifiable(wt: WordText, recipe: Recipe) -> list[int]:
    return [i for i, w in enumerate(wt.words)
            if len(w) >= recipe.min_word_length and not (recipe.stopwords and w.lower() in STOPWORDS)]


def _word_budget(st: _State, recipe: Recipe) -> int:
    limit = math.inf
    if recipe.max_words_perturbed is not None:
        limit = recipe.max_words_perturbed
    if recipe.max_perturbed_fraction is not None:
        limit = min(limit, math.ceil(len(st.orig) * recipe.max_perturbed_fraction))
    return int(min(limit, len(st.orig)))


def _candidates_at(st: _State, i: int, recipe: Recipe) -> list[tuple[int, str, WordText]]:
    """Constraint-satisfying candidates that change word *i* of the current text."""
    if i in st.modified or len(st.modified) >= _word_budget(st, recipe):
        return []
    word = st.orig.words[i]
    out = []
    for cand in candidates(word, list(recipe.transformations), st.rng, recipe.random_one, recipe.skip_ends):
        dist = edit_distance(word, cand)
        if recipe.max_edit_distance is not None and st.edits + dist > recipe.max_edit_distance:
            continue
        out.append((i, cand, st.cur.replace(i, cand)))
    return out


class _Scorer:
    """Scores texts in batches with a per-wave cache; counts model calls and texts."""

    def __init__(self, predict: Predictor) -> None:
        self.predict = predict
        self.cache: dict[str, np.ndarray] = {}
        self.calls = self.texts = 0

    def __call__(self, texts: list[str]) -> list[np.ndarray]:
        new = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if new:
            for t, p in zip(new, self.predict(new)):
                self.cache[t] = p
            self.calls += 1
            self.texts += len(new)
        return [self.cache[t] for t in texts]


def _finish(st: _State, status: str) -> AttackResult:
    return AttackResult(id=st.id, label=st.label, status=status, original=st.orig.render(),  # type: ignore[arg-type]
                        perturbed=st.cur.render(), original_words=list(st.orig.words),
                        perturbed_words=list(st.cur.words), changed=sorted(st.modified), queries=st.queries,
                        p_true_before=float(st.initial[st.label]), p_true_after=float(st.proba[st.label]),
                        pred_before=int(st.initial.argmax()),
                        pred_after=int(st.proba.argmax()))


def _round(states: list[_State], recipe: Recipe, score: _Scorer) -> None:
    """One search step for every running example: propose, score all together, accept the best.

    An example whose best candidate flips the label is marked ``flipped`` (confirmed by the caller) and one that has
    nothing left to try ``exhausted``.
    """
    for st in states:
        st.pending = []
        if recipe.search == "greedy":
            for i in st.modifiable:
                st.pending.extend(_candidates_at(st, i, recipe))
        else:
            while not st.pending and st.pos < len(st.order):
                st.pending = _candidates_at(st, st.order[st.pos], recipe)
                st.pos += 1
    texts = [c[2].render() for st in states for c in st.pending]
    probs = iter(score(texts))
    for st in states:
        if not st.pending:
            st.status = "exhausted"
            continue
        seen: set[str] = set()
        best: Any = None
        best_p: np.ndarray | None = None
        for cand in st.pending:
            p = next(probs)
            key = cand[2].render()
            if key not in seen:
                seen.add(key)
                st.queries += 1
            if best_p is None or 1.0 - p[st.label] > 1.0 - best_p[st.label]:
                best, best_p = cand, p
        # wir keeps a swap only if it helps (GreedyWordSwapWIR); greedy always moves to the best (beam-1 search)
        if best is not None and best_p is not None and (recipe.search == "greedy"
                                                        or 1.0 - best_p[st.label] > st.score):
            i, word, text = best
            st.cur, st.proba = text, best_p
            st.modified.append(i)
            st.edits += edit_distance(st.orig.words[i], word)
            if int(best_p.argmax()) != st.label:
                st.status = "flipped"
                continue
        if recipe.search == "wir" and st.pos >= len(st.order):
            st.status = "exhausted"


def _settle(states: list[_State], verify: _Scorer, guided: bool) -> None:
    """Turn ``flipped``/``exhausted`` into final statuses, confirming with the reference predictor when guided."""
    todo = [st for st in states if st.status in ("flipped", "exhausted")]
    if not guided:
        for st in todo:
            st.status = "succeeded" if st.status == "flipped" else "failed"
        return
    if not todo:
        return
    for st, p in zip(todo, verify([st.cur.render() for st in todo])):
        st.queries += 1
        flipped = int(p.argmax()) != st.label
        if flipped or st.status == "exhausted":
            st.proba = p  # reported probabilities are the reference predictor's
            st.status = "succeeded" if flipped else "failed"
        else:  # the guide was wrong: search on from this text, judged by its true score so a real gain can win
            st.status, st.proba = "running", p


def run_attack(texts: list[str], labels: list[int], predict: Predictor, recipe: Recipe, *, seed: int = 0,
               unk_token: str = "[UNK]", time_budget: float | None = None, wave_size: int = 64,
               ids: list[int] | None = None, progress: bool = True, desc: str = "attack",
               search_predict: Predictor | None = None) -> AttackRun:
    """Attack every (text, label) with *recipe*. Stops cleanly when *time_budget* seconds have passed: examples of
    the unfinished wave are dropped, so every reported result is complete.

    Examples the model already gets wrong are ``skipped`` (as in TextAttack). Each example draws its random edits
    from its own generator seeded by (seed, its text), so results depend neither on wave composition nor on row order.
    With
    *search_predict* the search is guided by it and every reported outcome is confirmed with *predict*.
    """
    ids = list(range(len(texts))) if ids is None else list(ids)
    run = AttackRun(requested=len(texts))
    start = time.perf_counter()
    guided = search_predict is not None
    run.guided = guided
    verify = _Scorer(predict)
    score = _Scorer(search_predict) if guided else verify  # type: ignore[arg-type]
    bar = tqdm(total=len(texts), desc=desc, unit="ex", disable=not progress or None, leave=False)
    for lo in range(0, len(texts), wave_size):
        if time_budget is not None and time.perf_counter() - start > time_budget:
            run.stopped_by_time_budget = True
            break
        score.cache, verify.cache = {}, {}
        wave = range(lo, min(lo + wave_size, len(texts)))
        parsed = [WordText.parse(texts[j]) for j in wave]
        first = verify([texts[j] for j in wave])
        states: list[_State] = []
        done: list[_State] = []
        for j, wt, p in zip(wave, parsed, first):
            st = _State(id=ids[j], label=int(labels[j]), orig=wt, cur=wt, proba=p, initial=p,
                        rng=np.random.default_rng([seed, text_key(texts[j])]), modifiable=_modifiable(wt, recipe))
            (done if int(p.argmax()) != st.label else states).append(st)
            if int(p.argmax()) != st.label:
                st.status = "skipped"
        if recipe.search == "wir" and states:
            probes = [(st, i, st.orig.replace(i, unk_token).render()) for st in states for i in st.modifiable]
            scores = {}
            for (st, i, _), p in zip(probes, score([t for _, _, t in probes])):
                st.queries += 1
                scores[(id(st), i)] = 1.0 - float(p[st.label])
            for st in states:
                st.order = sorted(st.modifiable, key=lambda i: -scores[(id(st), i)])
        timed_out = False
        while any(st.status == "running" for st in states):
            _round([st for st in states if st.status == "running"], recipe, score)
            _settle(states, verify, guided)
            if time_budget is not None and time.perf_counter() - start > time_budget:
                timed_out = any(st.status == "running" for st in states)
                break
        if timed_out:
            run.stopped_by_time_budget = True
            break
        run.results.extend(_finish(st, st.status) for st in done + states)
        bar.update(len(wave))
    bar.close()
    rank = {v: k for k, v in enumerate(ids)}
    run.results.sort(key=lambda r: rank[r.id])
    run.seconds = round(time.perf_counter() - start, 3)
    run.model_calls = score.calls + (verify.calls if guided else 0)
    run.texts_scored = score.texts + (verify.texts if guided else 0)
    return run
