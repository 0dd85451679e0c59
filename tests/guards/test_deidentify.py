"""The deidentify guard masks PII before training; the privacy check's PII scan sees the difference."""

from __future__ import annotations

import json

from rai_ft.cli import main
from tests.conftest import make_sentiment_frame, run_dirs, spec_dict, write_yaml


def test_pii_is_masked_before_training(tmp_path, tiny_model_dir) -> None:
    frame = make_sentiment_frame(120)
    frame.loc[::4, "text"] = frame.loc[::4, "text"] + " contact jane.doe@example.org or +44 20 7946 0958"
    csv = tmp_path / "pii.csv"
    frame.to_csv(csv, index=False)
    results = {}
    for name, guards in (("plain", {}), ("masked", {"deidentify": {}})):
        policy = write_yaml(tmp_path / f"{name}.yaml", {"name": name, "guards": guards,
                                                        "thresholds": [{"metric": "privacy.pii_texts", "max": 0}]})
        spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, csv, policy))
        code = main(["run", str(spec), "--output", str(tmp_path / name), "--quiet"])
        run = run_dirs(tmp_path / name)[0]
        results[name] = (code, json.loads((run / "audit.json").read_text()), (run / "report.html").read_text())
    plain_code, plain, plain_html = results["plain"]
    masked_code, masked, _ = results["masked"]
    assert plain_code == 1 and plain["metrics"]["privacy.pii_texts"] > 0
    assert plain["checks"]["privacy"]["details"]["pii"]["counts"]["email"] > 0
    assert "jane.doe@example.org" not in plain_html  # the report shows masked snippets only
    assert masked_code == 0 and masked["metrics"]["privacy.pii_texts"] == 0
    assert masked["guards"]["deidentify"]["summary"]["masked"]["train"]["email"] > 0
