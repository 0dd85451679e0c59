"""The same recipes run through TextAttack itself (``engine: textattack``, the benchmark's reference, and the
route for download-dependent recipes whose resources are present).

Built from TextAttack's own classes: ``CompositeTransformation`` of its character swaps, its constraints
(``RepeatModification``, ``StopwordModification`` with our stopword list so NLTK data is not needed,
``MinWordLength``, ``LevenshteinEditDistance``, ``MaxWordsPerturbed``), ``UntargetedClassification`` and
``GreedyWordSwapWIR("unk")`` / ``GreedySearch``, driven by ``textattack.Attacker``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from rai_ft.errors import MissingExtraError, UnsupportedError
from rai_ft.robustness.attack import AttackResult, AttackRun, Predictor
from rai_ft.robustness.recipes import Recipe
from rai_ft.robustness.transforms import STOPWORDS

__all__ = ["import_textattack", "build_attack", "textattack_attack"]


def import_textattack() -> Any:
    """Import TextAttack without its first-run NLTK downloads (offline machines)."""
    try:
        import nltk

        class _Stopwords:  # textattack builds StopwordModification() at import time from NLTK data
            @staticmethod
            def words(language: str = "english") -> list[str]:
                return sorted(STOPWORDS)

        real_download, real_stopwords = nltk.download, nltk.corpus.stopwords
        nltk.download = lambda *a, **k: False  # textattack's import calls nltk.download; never touch the network
        nltk.corpus.stopwords = _Stopwords()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import textattack
        finally:
            nltk.download, nltk.corpus.stopwords = real_download, real_stopwords
    except ImportError as exc:
        raise MissingExtraError("engine: textattack", "textattack", "adv") from exc
    return textattack


def _transformation(recipe: Recipe) -> Any:
    from textattack.transformations import (CompositeTransformation, WordSwapNeighboringCharacterSwap, WordSwapQWERTY,
                                            WordSwapRandomCharacterDeletion, WordSwapRandomCharacterInsertion,
                                            WordSwapRandomCharacterSubstitution)

    ends = {"skip_first_char": recipe.skip_ends, "skip_last_char": recipe.skip_ends}
    make = {
        "swap": lambda: WordSwapNeighboringCharacterSwap(random_one=recipe.random_one, **ends),
        "substitute": lambda: WordSwapRandomCharacterSubstitution(random_one=recipe.random_one),
        "delete": lambda: WordSwapRandomCharacterDeletion(random_one=recipe.random_one, **ends),
        "insert": lambda: WordSwapRandomCharacterInsertion(random_one=recipe.random_one, **ends),
        "qwerty": lambda: WordSwapQWERTY(random_one=recipe.random_one, **ends),
    }
    missing = [t for t in recipe.transformations if t not in make]
    if missing:
        raise UnsupportedError(f"engine textattack cannot run transformation(s) {missing} (TextAttack 0.3.11 ships "
                               "without its homoglyph table); use engine: rai")
    return CompositeTransformation([make[t]() for t in recipe.transformations])


def build_attack(recipe: Recipe | str, predict: Predictor, query_batch_size: int = 32) -> Any:
    """A ``textattack.Attack`` equal to *recipe* (or TextAttack's own recipe class, given its name)."""
    ta = import_textattack()
    from textattack.constraints.overlap import LevenshteinEditDistance, MaxWordsPerturbed
    from textattack.constraints.pre_transformation import MinWordLength, RepeatModification, StopwordModification
    from textattack.goal_functions import UntargetedClassification
    from textattack.models.wrappers import ModelWrapper
    from textattack.search_methods import GreedySearch, GreedyWordSwapWIR

    class Wrapper(ModelWrapper):
        def __init__(self) -> None:
            self.model = None

        def __call__(self, text_list: list[str]) -> np.ndarray:
            return predict(list(text_list))

    wrapper = Wrapper()
    if isinstance(recipe, str):
        return getattr(ta.attack_recipes, recipe).build(wrapper)
    constraints: list[Any] = [RepeatModification()]
    if recipe.stopwords:
        constraints.append(StopwordModification(stopwords=STOPWORDS))
    if recipe.min_word_length > 1:
        constraints.append(MinWordLength(recipe.min_word_length))
    if recipe.max_edit_distance is not None:
        constraints.append(LevenshteinEditDistance(recipe.max_edit_distance))
    if recipe.max_words_perturbed is not None or recipe.max_perturbed_fraction is not None:
        constraints.append(MaxWordsPerturbed(max_num_words=recipe.max_words_perturbed,
                                             max_percent=recipe.max_perturbed_fraction))
    goal = UntargetedClassification(wrapper, model_batch_size=query_batch_size)
    search = GreedyWordSwapWIR("unk") if recipe.search == "wir" else GreedySearch()
    return ta.Attack(goal, constraints, _transformation(recipe), search)


def textattack_attack(texts: list[str], labels: list[int], predict: Predictor, recipe: Recipe | str, *,
                      seed: int = 0, ids: list[int] | None = None, progress: bool = True) -> AttackRun:
    """Run the attack with ``textattack.Attacker``; results in our :class:`AttackRun` form."""
    ta = import_textattack()
    from textattack.attack_results import SkippedAttackResult, SuccessfulAttackResult

    attack = build_attack(recipe, predict)
    ids = list(range(len(texts))) if ids is None else list(ids)
    dataset = ta.datasets.Dataset(list(zip(texts, [int(y) for y in labels])))
    args = ta.AttackArgs(num_examples=len(texts), random_seed=seed, silent=True, disable_stdout=True,
                         query_budget=None)
    start = time.perf_counter()
    attacker = ta.Attacker(attack, dataset, args)
    raw = attacker.attack_dataset()
    run = AttackRun(requested=len(texts), seconds=round(time.perf_counter() - start, 3))
    for i, r in enumerate(raw):
        status = ("succeeded" if isinstance(r, SuccessfulAttackResult)
                  else "skipped" if isinstance(r, SkippedAttackResult) else "failed")
        orig, pert = r.original_result, r.perturbed_result
        changed = sorted(orig.attacked_text.all_words_diff(pert.attacked_text))
        po, pp = np.asarray(orig.raw_output, dtype=float), np.asarray(pert.raw_output, dtype=float)
        run.results.append(AttackResult(
            id=ids[i], label=int(labels[i]), status=status, original=orig.attacked_text.text,  # type: ignore[arg-type]
            perturbed=pert.attacked_text.text, original_words=list(orig.attacked_text.words),
            perturbed_words=list(pert.attacked_text.words), changed=[int(c) for c in changed],
            queries=int(pert.num_queries), p_true_before=float(po[int(labels[i])]),
            p_true_after=float(pp[int(labels[i])]), pred_before=int(po.argmax()), pred_after=int(pp.argmax())))
    return run
