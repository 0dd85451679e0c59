"""Nothing the PII scan can find leaves a run in clear: not in audit.json, report.html or model_card.md."""

from __future__ import annotations

from rai_ft.pipeline import run
from tests.conftest import make_sentiment_frame, spec_dict, write_yaml

PLANTED = ["4111 1111 1111 1111", "jane.doe@example.org", "555-123-4567", "bob@example.com"]


def test_planted_pii_never_appears_unmasked(tmp_path, tiny_model_dir) -> None:
    df = make_sentiment_frame(240)
    df["text"] = [f"{t} card {PLANTED[0]} mail {PLANTED[1]} call {PLANTED[2]} or {PLANTED[3]}"
                  for t in df["text"]]
    csv = tmp_path / "pii.csv"
    df.to_csv(csv, index=False)
    policy = write_yaml(tmp_path / "p.yaml", {"name": "pii", "checks": {
        "fairness": {"min_group_size": 5}, "privacy": {"pii_examples": 10},
        "robustness": {"max_examples": 10, "show_examples": 10},
        "attribution": {"max_examples": 3, "ig_steps": 8, "shap_max_evals": 40, "heatmap_examples": 3}}})
    spec = spec_dict(tiny_model_dir, csv, policy)
    spec["train"]["max_length"] = 64
    out, doc = run(write_yaml(tmp_path / "s.yaml", spec), tmp_path / "r", quiet=True)
    assert doc["metrics"]["privacy.pii_texts"] > 0  # the scan found them
    shown = doc["checks"]["robustness"]["details"]["examples"] + doc["checks"]["privacy"]["details"]["pii"]["examples"]
    assert shown, "some data-derived text is shown, else this test proves nothing"
    for name in ("audit.json", "report.html", "model_card.md"):
        text = (out / name).read_text(encoding="utf-8")
        for value in PLANTED:
            assert value not in text, (name, value)
        assert "1111 1111" not in text and "example.org" not in text and "123-4567" not in text, name
