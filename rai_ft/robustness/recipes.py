"""Attack recipes: named, fully specified combinations of transformation, constraints and search.

Offline recipes (``RECIPES``) run everywhere on our batched engine. Recipes that need downloaded resources
(WordNet, counter-fitted embeddings, Universal Sentence Encoder, hub language models, LanguageTool) are listed in
``DOWNLOAD_RECIPES``: they run through TextAttack when their resources are on disk and are refused with one line,
before any work starts, when they are not.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from rai_ft.errors import UnsupportedError
from rai_ft.robustness.transforms import TRANSFORMS

__all__ = ["Recipe", "RECIPES", "DOWNLOAD_RECIPES", "get_recipe", "MSG_UNKNOWN_RECIPE", "MSG_RECIPE_OFFLINE"]

MSG_UNKNOWN_RECIPE = "unknown attack recipe {name!r}; offline recipes: {offline}; with downloaded resources: {online}"
MSG_RECIPE_OFFLINE = ("attack recipe {name!r} needs {needs}, which is not on this machine (offline); "
                      "use an offline recipe: {offline}")


@dataclass(frozen=True)
class Recipe:
    """A complete attack description; ``describe()`` is what the report prints next to every success rate.

    Attributes:
        name: Recipe name.
        paper: What it reproduces.
        transformations: Names from :data:`~rai_ft.robustness.transforms.TRANSFORMS`, composed (best candidate wins).
        random_one: One random edit per transformation and word (True) or every possible edit (False).
        skip_ends: Never edit a word's first or last character.
        search: ``wir`` = greedy word swap in word-importance order (importance: replace the word by [UNK]);
            ``greedy`` = each round, try every candidate at every still-unmodified word and keep the best.
        stopwords: Never modify English stopwords.
        min_word_length: Only modify words at least this long.
        max_edit_distance: Character edits allowed in total (Levenshtein, summed over changed words).
        max_words_perturbed: At most this many words changed.
        max_perturbed_fraction: At most ceil(fraction x words) changed.
    """

    name: str
    paper: str
    transformations: tuple[str, ...]
    random_one: bool = True
    skip_ends: bool = False
    search: Literal["wir", "greedy"] = "wir"
    stopwords: bool = True
    min_word_length: int = 1
    max_edit_distance: int | None = None
    max_words_perturbed: int | None = None
    max_perturbed_fraction: float | None = None
    textattack_equivalent: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **overrides: Any) -> "Recipe":
        """A copy with the non-None *overrides* applied (policy settings win over recipe defaults)."""
        given = {k: (tuple(v) if k == "transformations" else v) for k, v in overrides.items() if v is not None}
        unknown = [t for t in given.get("transformations", ()) if t not in TRANSFORMS]
        if unknown:
            raise UnsupportedError(f"unknown transformation(s) {unknown}; available: {', '.join(TRANSFORMS)}")
        return replace(self, **given)  # type: ignore[arg-type]  # keys checked by dataclasses.replace

    def describe(self) -> dict[str, Any]:
        """JSON-ready, complete settings."""
        out = asdict(self)
        out["transformations"] = list(self.transformations)
        out["goal"] = "untargeted classification: any label other than the gold label"
        return out

    def one_line(self) -> str:
        """Human summary, e.g. for progress output and the report header."""
        limits = [f"{k.replace('_', ' ')} {v}" for k, v in (("max_edit_distance", self.max_edit_distance),
                  ("max_words_perturbed", self.max_words_perturbed),
                  ("max_perturbed_fraction", self.max_perturbed_fraction)) if v is not None]
        return (f"{self.name}: {'+'.join(self.transformations)} "
                f"({'one random edit' if self.random_one else 'all edits'} per word), search {self.search}, "
                f"{'no stopwords, ' if self.stopwords else ''}no word modified twice"
                + (f", min word length {self.min_word_length}" if self.min_word_length > 1 else "")
                + (", " + ", ".join(limits) if limits else ""))


# name -> recipe. Registered explicitly, one line each.
RECIPES: dict[str, Recipe] = {
    "deepwordbug": Recipe("deepwordbug", "Gao et al. 2018, DeepWordBug", ("swap", "substitute", "delete", "insert"),
                          max_edit_distance=30, textattack_equivalent="DeepWordBugGao2018"),
    "pruthi": Recipe("pruthi", "Pruthi et al. 2019, Combating adversarial misspellings",
                     ("swap", "delete", "insert", "qwerty"), random_one=False, skip_ends=True, search="greedy",
                     min_word_length=4, max_words_perturbed=1, textattack_equivalent="Pruthi2019"),
    "typo": Recipe("typo", "keyboard typos and look-alike characters (rai-ft)", ("qwerty", "swap", "homoglyph"),
                   max_edit_distance=10, max_perturbed_fraction=0.2),
}

# name -> (TextAttack recipe class, what it needs)
DOWNLOAD_RECIPES: dict[str, tuple[str, str]] = {
    "textfooler": ("TextFoolerJin2019", "counter-fitted word embeddings and the Universal Sentence Encoder"),
    "pwws": ("PWWSRen2019", "the NLTK WordNet corpus"),
    "textbugger": ("TextBuggerLi2018", "GloVe embeddings and the Universal Sentence Encoder"),
    "bae": ("BAEGarg2019", "the bert-base-uncased masked language model and the Universal Sentence Encoder"),
    "bert-attack": ("BERTAttackLi2020", "the bert-base-uncased masked language model and the Universal Sentence "
                    "Encoder"),
    "alzantot": ("GeneticAlgorithmAlzantot2018", "counter-fitted embeddings and a Google language model"),
    "faster-alzantot": ("FasterGeneticAlgorithmJia2019", "counter-fitted embeddings and a Google language model"),
    "iga": ("IGAWang2019", "counter-fitted word embeddings"),
    "pso": ("PSOZang2020", "HowNet sememes and counter-fitted embeddings"),
    "checklist": ("CheckList2020", "the NLTK POS tagger and name lists"),
    "clare": ("CLARE2020", "the distilroberta-base masked language model and the Universal Sentence Encoder"),
    "a2t": ("A2TYoo2021", "counter-fitted embeddings and a DistilBERT sentence encoder"),
    "kuleshov": ("Kuleshov2017", "counter-fitted embeddings, the Universal Sentence Encoder and GPT-2"),
    "input-reduction": ("InputReductionFeng2018", "nothing downloaded, but it is an interpretation method, not an "
                        "attack"),
}


def _resources_present(name: str) -> bool:
    """Whether a download-dependent recipe's resources are already cached (never downloads)."""
    cache = Path(os.environ.get("TA_CACHE_DIR", Path.home() / ".cache" / "textattack"))
    need_embed = name in {"textfooler", "alzantot", "faster-alzantot", "iga", "pso", "a2t", "kuleshov"}
    if need_embed and not (cache / "word_embeddings" / "paragramcf").exists():
        return False
    if name in {"pwws", "checklist"}:
        try:
            import nltk

            nltk.data.find("corpora/wordnet" if name == "pwws" else "taggers/averaged_perceptron_tagger")
        except (ImportError, LookupError):
            return False
    if name in {"textfooler", "textbugger", "bae", "bert-attack", "clare", "kuleshov"}:
        try:
            import tensorflow_hub  # noqa: F401
        except ImportError:
            return False
    return name != "input-reduction"


def get_recipe(name: str) -> Recipe | str:
    """The offline :class:`Recipe` called *name*, or the TextAttack class name of a download recipe whose
    resources are present. Raises :class:`UnsupportedError` (one line) otherwise."""
    if name in RECIPES:
        return RECIPES[name]
    offline = ", ".join(RECIPES)
    if name not in DOWNLOAD_RECIPES:
        raise UnsupportedError(MSG_UNKNOWN_RECIPE.format(name=name, offline=offline,
                                                         online=", ".join(DOWNLOAD_RECIPES)))
    cls_name, needs = DOWNLOAD_RECIPES[name]
    if not _resources_present(name):
        raise UnsupportedError(MSG_RECIPE_OFFLINE.format(name=name, needs=needs, offline=offline))
    return cls_name
