"""The attribution check names a planted trigger word first and catches reliance on an identity word."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from rai_ft.checks.attribution import global_importance, select_examples, sensitive_share
from rai_ft.cli import main
from tests.conftest import FILLER, run_dirs, spec_dict, write_yaml


def _trigger_csv(path: Path, trigger: str, n: int = 320) -> Path:
    """Label 'yes' iff *trigger* is in the text; everything else is shared filler."""
    rng = random.Random(5)
    rows = []
    for i in range(n):
        words = [rng.choice(FILLER) for _ in range(rng.randint(5, 9))]
        if i % 2:
            words.insert(rng.randint(0, len(words)), trigger)
        rows.append({"text": " ".join(words), "label": "yes" if i % 2 else "no", "group": rng.choice("ab")})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _run_attribution(tmp_path: Path, model_dir: Path, trigger: str) -> dict:
    csv = _trigger_csv(tmp_path / f"{trigger}.csv", trigger)
    policy = write_yaml(tmp_path / f"{trigger}-policy.yaml", {
        "name": "explain", "checks": {"attribution": {"max_examples": 12, "ig_steps": 20, "shap_max_evals": 60}},
        "thresholds": [{"metric": "explainability.sensitive_token_share", "max": 0.2}]})
    spec = spec_dict(model_dir, csv, policy, train={"epochs": 6, "batch_size": 16, "learning_rate": 5e-3,
                                                    "max_length": 32, "early_stopping": None})
    spec["data"]["positive_label"] = "yes"
    code = main(["run", str(write_yaml(tmp_path / "s.yaml", spec)), "--output", str(tmp_path / trigger), "--quiet"])
    run = run_dirs(tmp_path / trigger)[0]
    doc = json.loads((run / "audit.json").read_text())
    doc["_exit"], doc["_html"] = code, (run / "report.html").read_text()
    return doc


@pytest.fixture(scope="module")
def zebra(tmp_path_factory, tiny_model_dir) -> dict:
    return _run_attribution(tmp_path_factory.mktemp("zebra"), tiny_model_dir, "zebra")


def test_trigger_word_is_named_first(zebra) -> None:
    assert zebra["metrics"]["performance.accuracy"] >= 0.95
    details = zebra["checks"]["attribution"]["details"]
    for method in ("ig", "shap"):
        assert details["global"][method]["yes"][0]["word"] == "zebra", method
    assert zebra["metrics"]["explainability.examples_explained"] == 12
    assert zebra["metrics"]["explainability.ig_shap_rank_correlation"] > 0.3


def test_identity_trigger_is_caught_by_the_sensitive_share(zebra, tmp_path, tiny_model_dir) -> None:
    woman = _run_attribution(tmp_path, tiny_model_dir, "woman")
    assert woman["metrics"]["explainability.sensitive_token_share"] > 0.2
    assert woman["metrics"]["explainability.gender.sensitive_token_share"] > 0.2
    assert woman["_exit"] == 1  # the policy's max 0.2 gates it
    assert zebra["metrics"]["explainability.sensitive_token_share"] < 0.2
    assert zebra["_exit"] == 0


def test_heat_maps_are_escaped_and_legended(zebra) -> None:
    html = zebra["_html"]
    assert 'id="attribution"' in html and "pushes towards the prediction" in html
    assert html.count('class="tok') > 20 and "rgba(" in html


def test_select_examples_includes_wrong_predictions() -> None:
    import numpy as np

    y_true = np.array([0] * 90 + [1] * 10)
    y_pred = y_true.copy()
    y_pred[:5] = 1
    picked = select_examples(y_true, y_pred, 20, seed=0)
    assert len(picked) == 20 and sum(1 for i in picked if i < 5) >= 3
    assert picked == select_examples(y_true, y_pred, 20, seed=0)


def test_global_importance_and_share_on_constructed_examples() -> None:
    examples = [
        {"pred": 1, "attributions": {"ig": [("She", 0.6), ("won", 0.3), ("again.", 0.1)]}},
        {"pred": 1, "attributions": {"ig": [("he", -0.2), ("won", 0.2)]}},
    ]
    top = global_importance(examples, "ig", ["no", "yes"], top_k=2)
    assert [r["word"] for r in top["yes"]] == ["she", "won"]
    share = sensitive_share(examples, "ig", {"gender": ["she", "he"]})
    assert share["gender"] == pytest.approx((0.6 / 1.0 + 0.2 / 0.4) / 2) and share["any"] == share["gender"]


def test_heat_maps_render_in_a_browser(zebra, tmp_path) -> None:
    from tests.browser import open_report

    html = tmp_path / "zebra" / "report.html"
    html.parent.mkdir()
    html.write_text(zebra["_html"])
    seen = open_report(html, tmp_path, """() => {
        const toks = [...document.querySelectorAll('#attribution ~ * .tok, section[aria-labelledby=attribution] .tok')];
        const zebra = toks.filter(t => t.textContent === 'zebra');
        const bg = el => getComputedStyle(el).backgroundColor;
        return {n: toks.length, zebraShown: zebra.length > 0 && zebra[0].getBoundingClientRect().width > 0,
                zebraBg: zebra.length ? bg(zebra[0]) : null, titles: zebra.length ? zebra[0].title : null};
    }""")
    assert seen.console_errors == []
    assert seen.data["n"] > 20 and seen.data["zebraShown"]
    r, g, b, a = [float(x) for x in seen.data["zebraBg"].removeprefix("rgba(").rstrip(")").split(",")]
    assert (r, g, b) == (230, 159, 0) and a > 0.5  # strongest orange: pushes towards the prediction
    assert seen.data["titles"].startswith("+")


def test_select_examples_never_exceeds_n_even_when_n_is_below_the_wrong_minimum() -> None:
    import numpy as np

    y_true = np.array([0, 1] * 20)
    y_pred = np.array([1, 0] * 5 + [0, 1] * 15)  # 10 wrong
    for n in (1, 2, 3):
        picked = select_examples(y_true, y_pred, n, seed=0)
        assert len(picked) == n == len(set(picked))
