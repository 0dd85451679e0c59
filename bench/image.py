"""Image classification on Fashion-MNIST: test accuracy and time per epoch of each recipe, through `rai-ft run`.

Fashion-MNIST from Debian's dataset-fashion-mnist (60,000 train / 10,000 test, 28x28 grey; `builtin:fashion-mnist`).
Each recipe trains on a seeded sample of the training split (`--train`, default 10,000; validation 2,000 from the
rest of train) and is audited on the whole 10,000-image test split, never seen in training. References (issue 14):
a small CNN reaches about 93 % on all 60,000; DP at ε = 3 with ScatterNet features 89.7 % (Tramèr & Boneh 2021).
Recipes (settings chosen before the runs from common practice, not tuned on test):

* ``small-cnn``: the two-layer CNN (rai-ft's ``small-cnn``, random init), full training, 28 px;
* ``effnet-head``: EfficientNet-Lite0 (ImageNet weights) as a linear probe, 64 px;
* ``effnet-full``: EfficientNet-Lite0 fully fine-tuned, 64 px;
* ``small-cnn-robust`` / ``-aug`` / ``-adv`` / ``-adv-fgsm``: the small CNN (up to 15 epochs), attacked at
  ε = 0.1 by the ``image_robustness`` check (PGD-10 and FGSM on 1,000 test images, and the corruptions): as
  trained, trained with the ``augment`` guard's defaults, and adversarially trained (``image_adversarial``: half of
  every batch replaced by PGD-3 images, with a baseline twin attacked on the same images; or by fast FGSM images);
* ``effnet-head-dp3`` / ``effnet-head-dp8``: the linear probe trained with the ``dp`` guard at ε = 3 / 8 (DP-SGD,
  SGD with momentum, batch 256, clipping norm 1, 15 epochs: common private linear-probe practice; the batch norms stay
  frozen, so each image's gradient is its own). The anchor (Tramèr & Boneh 2021) is a private linear model on
  ScatterNet features, 89.7 % at ε = 3 on all 60,000 images.

    PYTHONPATH=. .venv/bin/python bench/image.py                       # every recipe
    PYTHONPATH=. .venv/bin/python bench/image.py --recipes effnet-full --train 3000
    PYTHONPATH=. .venv/bin/python bench/image.py --name image-robust \
        --recipes small-cnn-robust small-cnn-aug small-cnn-adv small-cnn-adv-fgsm
    PYTHONPATH=. .venv/bin/python bench/image.py --quick               # 500 images, 1 epoch (a smoke run)
Results: bench/results/image[-quick].md and .json (rewritten after each recipe).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt, rai_ft_run, write_json, write_result  # noqa: E402

SMALL_CNN_REFERENCE = 0.93
RECIPES: dict[str, dict[str, Any]] = {
    "small-cnn": {"base": "small-cnn", "adapter": "full", "size": 28, "lr": 3e-3, "epochs": 5},
    "effnet-head": {"base": "builtin:efficientnet-lite0", "adapter": "head", "size": 64, "lr": 1e-2, "epochs": 3},
    "effnet-full": {"base": "builtin:efficientnet-lite0", "adapter": "full", "size": 64, "lr": 1e-3,
                    "head_lr": 1e-2, "epochs": 3},
    "effnet-head-dp3": {"base": "builtin:efficientnet-lite0", "adapter": "head", "size": 64, "lr": 1.0, "epochs": 15,
                        "batch": 256, "optimizer": "sgd", "dp": 3.0},
    "effnet-head-dp8": {"base": "builtin:efficientnet-lite0", "adapter": "head", "size": 64, "lr": 1.0, "epochs": 15,
                        "batch": 256, "optimizer": "sgd", "dp": 8.0},
}
PRIVATE = ("effnet-head-dp3", "effnet-head-dp8")
# robustness recipes: the small CNN attacked at ε = 0.1 (the usual Fashion-MNIST budget) on 1,000 test images
ATTACK = {"image_robustness": {"epsilon": 0.1, "max_images": 1000, "pgd_steps": 10}}
RECIPES.update({
    "small-cnn-robust": {**RECIPES["small-cnn"], "epochs": 15, "checks": ATTACK},
    "small-cnn-aug": {**RECIPES["small-cnn"], "epochs": 15, "checks": ATTACK, "guards": {"augment": {}}},
    "small-cnn-adv": {**RECIPES["small-cnn"], "epochs": 15, "checks": ATTACK,
                      "guards": {"image_adversarial": {"epsilon": 0.1, "attack": "pgd", "steps": 3, "fraction": 0.5,
                                                       "baseline": True}}},
    "small-cnn-adv-fgsm": {**RECIPES["small-cnn"], "epochs": 15, "checks": ATTACK,
                           "guards": {"image_adversarial": {"epsilon": 0.1, "attack": "fgsm", "fraction": 0.5}}},
})
ROBUST = ("small-cnn-robust", "small-cnn-aug", "small-cnn-adv", "small-cnn-adv-fgsm")


def small_cnn_base(out: Path) -> Path:
    """A randomly initialised small CNN saved as a base folder (grey input)."""
    import torch

    from rai_ft.modeling.vision.classifier import ImageClassifier, ImageConfig

    torch.manual_seed(13)
    ImageClassifier(ImageConfig("small-cnn", 28, 1, {})).save_pretrained(out / "small-cnn")
    return out / "small-cnn"


def spec_for(name: str, recipe: dict[str, Any], out: Path, train: int, quick: bool) -> Path:
    """A spec + policy pair for one recipe (early stopping on validation macro-F1)."""
    guards = {"dp": {"target_epsilon": recipe["dp"], "max_grad_norm": 1.0}} if "dp" in recipe else {}
    guards.update(recipe.get("guards", {}))
    (out / "policy.yaml").write_text(yaml.safe_dump({"name": "bench-image", "guards": guards,
                                                     "checks": {"performance": {}, **recipe.get("checks", {})}}))
    base = str(small_cnn_base(out)) if recipe["base"] == "small-cnn" else recipe["base"]
    n = 500 if quick else train
    spec = {"name": f"image-{name}", "task": "image-classification",
            "model": {"base": base, "adapter": {"method": recipe["adapter"]}, "image_size": recipe["size"]},
            "data": {"source": "builtin:fashion-mnist", "split": {"validation": 0.1, "seed": 13},
                     "sample": {"train": n, "validation": min(2000, n // 5)}},
            "train": {"epochs": 1 if quick else recipe["epochs"], "batch_size": recipe.get("batch", 64),
                      "learning_rate": recipe["lr"], "head_learning_rate": recipe.get("head_lr"), "seed": 13,
                      "optimizer": recipe.get("optimizer", "adamw"),
                      # under DP every epoch spends budget: no early stopping on the validation split
                      "early_stopping": None if "dp" in recipe else {"patience": 2, "metric": "macro_f1"}},
            "policy": "policy.yaml"}
    path = out / f"image-{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def row(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """One recipe's results."""
    m, t = doc["metrics"], doc["training"]
    epochs = [h["seconds"] for h in t["history"]]
    return {"recipe": name, "accuracy": m["performance.accuracy"], "macro_f1": m["performance.macro_f1"],
            "worst_class_recall": m["performance.worst_class_recall"], "train_images": doc["data"]["sizes"]["train"],
            "test_images": doc["data"]["sizes"]["test"], "epochs_run": t["epochs_run"], "best_epoch": t["best_epoch"],
            "seconds_per_epoch": sum(epochs) / len(epochs), "wall_seconds": doc["_wall"],
            "trainable": doc["model"]["trainable_parameters"], "epsilon": doc["metrics"].get("privacy.epsilon"),
            **{k.removeprefix("robustness.image_"): m.get(k) for k in ROBUST_METRICS}}


ROBUST_METRICS = ("robustness.image_clean_accuracy", "robustness.image_accuracy_under_attack",
                  "robustness.image_fgsm_accuracy", "robustness.image_corruption_accuracy",
                  "robustness.image_baseline_clean_accuracy", "robustness.image_baseline_accuracy_under_attack")


def robustness_table(rows: list[dict[str, Any]]) -> list[str]:
    """Accuracy on 1,000 test images unchanged, under PGD-10 and FGSM at ε = 0.1, and under corruptions."""
    lines = ["| recipe | unchanged | PGD-10, ε = 0.1 | FGSM | corruptions (mean) | baseline unchanged | "
             "baseline PGD-10 |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("clean_accuracy") is not None:
            lines.append(f"| {r['recipe']} | {fmt(r['clean_accuracy'])} | {fmt(r['accuracy_under_attack'])} | "
                         f"{fmt(r['fgsm_accuracy'])} | {fmt(r['corruption_accuracy'])} | "
                         f"{fmt(r['baseline_clean_accuracy'])} | {fmt(r['baseline_accuracy_under_attack'])} |")
    return lines if len(lines) > 2 else []


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| recipe | train images | epochs (best) | ε | test accuracy | macro-F1 | worst class recall | "
             "s / epoch | wall |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['recipe']} | {r['train_images']} | {r['epochs_run']} ({r['best_epoch']}) | "
                     f"{fmt(r.get('epsilon'), 2)} | {fmt(r['accuracy'])} | {fmt(r['macro_f1'])} | "
                     f"{fmt(r['worst_class_recall'])} | "
                     f"{r['seconds_per_epoch']:.0f} | {r['wall_seconds'] / 60:.1f} min |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", nargs="+", choices=tuple(RECIPES),
                    default=[r for r in RECIPES if r not in PRIVATE + ROBUST],
                    help="default: the non-private ones; private: --recipes effnet-head-dp3 effnet-head-dp8; "
                         "robustness: --recipes small-cnn-robust small-cnn-aug small-cnn-adv small-cnn-adv-fgsm")
    ap.add_argument("--name", default="image", help="results file: bench/results/<name>[-quick].md/.json")
    ap.add_argument("--train", type=int, default=10_000, help="training images (a seeded sample)")
    ap.add_argument("--quick", action="store_true", help="500 images, 1 epoch (a smoke run, not a measurement)")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rai-ft-image-") as tmp:
        for name in args.recipes:
            out = Path(tmp) / name
            out.mkdir()
            _, doc = rai_ft_run(spec_for(name, RECIPES[name], out, args.train, args.quick), out)
            rows.append(row(name, doc))
            lines = ["# Image classification (Fashion-MNIST)", "",
                     f"Command: `PYTHONPATH=. .venv/bin/python {' '.join(sys.argv)}`; test split: all 10,000 "
                     f"images; reference: a small CNN on all 60,000 about {SMALL_CNN_REFERENCE:.0%}.", "",
                     *table(rows), "", *robustness_table(rows)]
            write_result(args.name, lines, args.quick)
            write_json(args.name, {"rows": rows, "recipes": RECIPES}, args.quick)


if __name__ == "__main__":
    main()
