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


def test_token_data_gets_one_placeholder_per_pii_token_and_keeps_its_tags() -> None:
    """Token classification: a PII span over several tokens masks each of them; tags and token counts stay."""
    from types import SimpleNamespace

    import pandas as pd

    from rai_ft.data.loading import LABEL, TEXT, DataBundle
    from rai_ft.guards.deidentify import DeidentifyConfig, DeidentifyGuard
    from rai_ft.tasks.token_classification.data import TAGS, TOKENS

    tokens = ["mail", "jo.doe@example.com", "or", "call", "555", "123", "4567", "bob"]
    tags = [0, 0, 0, 0, 0, 0, 0, 1]

    def frame() -> pd.DataFrame:
        return pd.DataFrame({TOKENS: [list(tokens)], TAGS: [list(tags)], TEXT: [" ".join(tokens)], LABEL: ["x"]})

    data = DataBundle(train=frame(), validation=frame(), test=frame(), labels=["O", "B-person"], positive_index=0,
                      sensitive=[])
    guard = DeidentifyGuard(DeidentifyConfig())
    guard.preflight(SimpleNamespace(data=data))
    row = data.train.iloc[0]
    assert row[TOKENS] == ["mail", "[EMAIL]", "or", "call", "[PHONE]", "[PHONE]", "[PHONE]", "bob"]
    assert row[TAGS] == tags and row[TEXT] == " ".join(row[TOKENS])
    assert "jo.doe" not in row[TEXT] and "4567" not in row[TEXT]
    assert guard.summary()["masked"]["train"] == {"email": 1, "phone": 1}
