"""A corpus of bad and hostile inputs across every command (issue #21).

Each case runs the real CLI in-process and asserts: the exit code, exactly one line on stderr, that the line names
the file and the field (or flag), that nothing was left behind in the case's folder, and that training never started
(the training entry point is replaced by one that records the call).
"""

from __future__ import annotations

import json
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest
import yaml

from rai_ft.cli import main
from tests.audit_doc import minimal_audit
from tests.conftest import make_sentiment_frame, spec_dict


@dataclass
class World:
    """The files of one case: a tiny model (shared, read-only), good data, a good policy, and a spec writer."""

    root: Path
    model: Path

    def __post_init__(self) -> None:
        self.csv = self.root / "data.csv"
        make_sentiment_frame(60).to_csv(self.csv, index=False)
        self.policy = self.root / "policy.yaml"
        self.policy.write_text("name: p\nthresholds:\n  - metric: performance.accuracy\n    min: 0.1\n")
        self.out = self.root / "reports"

    def spec_data(self, **over: Any) -> dict[str, Any]:
        return spec_dict(self.model, self.csv, self.policy, **over)

    def spec(self, text: str | None = None, file: str = "spec.yaml", **over: Any) -> Path:
        path = self.root / file
        path.write_text(text if text is not None else yaml.safe_dump(self.spec_data(**over), sort_keys=False))
        return path

    def data(self, frame: pd.DataFrame, name: str = "bad.csv") -> Path:
        path = self.root / name
        if name.endswith(".parquet"):
            frame.to_parquet(path)
        elif name.endswith(".jsonl"):
            frame.to_json(path, orient="records", lines=True)
        else:
            frame.to_csv(path, index=False, sep="\t" if name.endswith(".tsv") else ",")
        return path

    def spec_on(self, data: Path, **data_over: Any) -> Path:
        d = self.spec_data()
        d["data"].update({"source": str(data), **data_over})
        return self.spec(yaml.safe_dump(d, sort_keys=False))

    def model_copy(self, name: str = "m") -> Path:
        dest = self.root / name
        shutil.copytree(self.model, dest)
        return dest

    def audit_json(self, metrics: dict[str, Any], text: str | None = None) -> Path:
        path = self.root / "audit.json"
        path.write_text(text if text is not None else json.dumps(minimal_audit(metrics)))
        return path


# id -> builder(world) -> (argv, exit code, fragments the one line must contain)
Builder = Callable[[World], tuple[list[str], int, list[str]]]
CASES: dict[str, Builder] = {}


def case(name: str, code: int = 2) -> Callable[[Callable[[World], tuple[list[str], list[str]]]], None]:
    def register(fn: Callable[[World], tuple[list[str], list[str]]]) -> None:
        def build(w: World) -> tuple[list[str], int, list[str]]:
            argv, fragments = fn(w)
            return argv, code, fragments
        CASES[name] = build
    return register


def spec_case(name: str, both: bool = True) -> Callable[[Callable[[World], tuple[Path, list[str]]]], None]:
    """A bad spec: checked by ``rai-ft run`` and (with *both*) by ``rai-ft validate`` the same way."""
    def register(fn: Callable[[World], tuple[Path, list[str]]]) -> None:
        def run_case(w: World) -> tuple[list[str], int, list[str]]:
            spec, fragments = fn(w)
            return ["run", str(spec), "--output", str(w.out), "--quiet"], 2, fragments

        def validate_case(w: World) -> tuple[list[str], int, list[str]]:
            spec, fragments = fn(w)
            return ["validate", str(spec), "--output", str(w.out)], 2, fragments
        CASES[f"run-{name}"] = run_case
        if both:
            CASES[f"validate-{name}"] = validate_case
    return register


def _yaml_edit(w: World, section: str, key: str, value: Any, **over: Any) -> Path:
    d = w.spec_data(**over)
    d[section][key] = value
    return w.spec(yaml.safe_dump(d, sort_keys=False))


# ---- the spec file itself ------------------------------------------------------------------------------------------

@spec_case("unknown-top-key")
def _(w):
    d = w.spec_data(); d["trian"] = {}
    return w.spec(yaml.safe_dump(d, sort_keys=False)), ["spec.yaml:", "trian", "unknown key"]


@spec_case("misspelt-train-key")
def _(w):
    return _yaml_edit(w, "train", "learnig_rate", 0.1), ["spec.yaml:", "train.learnig_rate", "unknown key"]


for _name, _key, _value in [("epochs-text", "epochs", "three"), ("epochs-zero", "epochs", 0),
                            ("lr-inf", "learning_rate", float("inf")), ("lr-nan", "learning_rate", float("nan")),
                            ("lr-negative", "learning_rate", -1.0), ("batch-zero", "batch_size", 0),
                            ("max-length-tiny", "max_length", 2), ("max-length-huge", "max_length", 100000),
                            ("max-length-over-model-limit", "max_length", 256), ("momentum-one", "momentum", 1.0),
                            ("weight-decay-inf", "weight_decay", float("inf")), ("seeds-duplicate", "seeds", [1, 1]),
                            ("grad-norm-nan", "max_grad_norm", float("nan")),
                            ("eval-batch-text", "eval_batch_size", "x")]:
    def _train_case(w, key=_key, value=_value):
        return _yaml_edit(w, "train", key, value), ["spec.yaml:", f"train.{key}"]
    spec_case(_name)(_train_case)


@spec_case("name-300-chars")
def _(w):
    return w.spec(**{"name": "a" * 300}), ["spec.yaml:", "name", "at most 100"]


@spec_case("name-with-slash")
def _(w):
    return w.spec(**{"name": "../escape"}), ["spec.yaml:", "name"]


@spec_case("name-missing")
def _(w):
    d = w.spec_data(); del d["name"]
    return w.spec(yaml.safe_dump(d)), ["spec.yaml", "name", "required"]


@spec_case("policy-key-missing")
def _(w):
    d = w.spec_data(); del d["policy"]
    return w.spec(yaml.safe_dump(d)), ["spec.yaml", "policy", "required"]


@spec_case("data-missing")
def _(w):
    d = w.spec_data(); del d["data"]
    return w.spec(yaml.safe_dump(d)), ["spec.yaml", "data", "required"]


@spec_case("split-leaves-no-train")
def _(w):
    return _yaml_edit(w, "data", "split", {"validation": 0.5, "test": 0.45}), ["spec.yaml:", "data.split"]


@spec_case("split-test-inf")
def _(w):
    return _yaml_edit(w, "data", "split", {"test": float("inf")}), ["spec.yaml:", "data.split.test"]


@spec_case("source-and-files")
def _(w):
    return _yaml_edit(w, "data", "train", str(w.csv)), ["spec.yaml:", "data", "either source"]


@spec_case("text-empty-list")
def _(w):
    return _yaml_edit(w, "data", "text", []), ["spec.yaml:", "data.text"]


@spec_case("sample-one-row")
def _(w):
    return _yaml_edit(w, "data", "sample", {"train": 1}), ["spec.yaml:", "data.sample.train"]


@spec_case("adapter-unknown-method")
def _(w):
    return _yaml_edit(w, "model", "adapter", {"method": "qlora"}), ["spec.yaml:", "model.adapter"]


@spec_case("adapter-field-for-other-method")
def _(w):
    return _yaml_edit(w, "model", "adapter", {"method": "ia3", "r": 4}), ["spec.yaml:", "model.adapter", "'r'"]


@spec_case("adapter-rank-zero")
def _(w):
    return _yaml_edit(w, "model", "adapter", {"method": "lora", "r": 0}), ["spec.yaml:", "model.adapter.r"]


@spec_case("allow-pickle-text")
def _(w):
    return _yaml_edit(w, "model", "allow_pickle", "maybe"), ["spec.yaml:", "model.allow_pickle"]


@spec_case("duplicate-top-key")
def _(w):
    text = yaml.safe_dump(w.spec_data(), sort_keys=False) + "name: other\n"
    return w.spec(text), ["spec.yaml:", "name", "duplicate key", "first on line 1"]


@spec_case("duplicate-nested-key")
def _(w):
    text = yaml.safe_dump(w.spec_data(), sort_keys=False).replace("  epochs: 8\n", "  epochs: 8\n  epochs: 2\n")
    return w.spec(text), ["spec.yaml:", "train.epochs", "duplicate key"]


@spec_case("not-yaml")
def _(w):
    return w.spec("name: [unclosed\n"), ["spec.yaml", "not valid YAML"]


@spec_case("top-level-list")
def _(w):
    return w.spec("- a\n- b\n"), ["spec.yaml", "mapping"]


@spec_case("empty-file")
def _(w):
    return w.spec(""), ["spec.yaml", "required"]


@spec_case("not-utf8")
def _(w):
    path = w.root / "spec.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    return path, ["spec.yaml", "UTF-8"]


@spec_case("spec-missing")
def _(w):
    return w.root / "nope.yaml", ["nope.yaml", "file not found"]


@spec_case("spec-is-folder")
def _(w):
    (w.root / "folder.yaml").mkdir()
    return w.root / "folder.yaml", ["folder.yaml", "a folder"]


@spec_case("policy-file-missing")
def _(w):
    d = w.spec_data(); d["policy"] = str(w.root / "gone.yaml")
    return w.spec(yaml.safe_dump(d)), ["gone.yaml", "file not found"]


@spec_case("policy-attribute-not-in-data")
def _(w):
    w.policy.write_text("name: p\nthresholds:\n  - metric: fairness.race.demographic_parity_difference\n    max: 0.1\n")
    return w.spec(), ["policy.yaml", "thresholds[0].metric", "race"]


@spec_case("policy-duplicate-key")
def _(w):
    w.policy.write_text("name: p\nname: q\nthresholds: []\n")
    return w.spec(), ["policy.yaml:2", "name", "duplicate key"]


@spec_case("policy-threshold-inf")
def _(w):
    w.policy.write_text("name: p\nthresholds:\n  - metric: performance.accuracy\n    min: .inf\n")
    return w.spec(), ["policy.yaml:", "thresholds[0].min"]


# ---- the model ----------------------------------------------------------------------------------------------------

@spec_case("base-unknown-builtin")
def _(w):
    return _yaml_edit(w, "model", "base", "builtin:nope"), ["spec.yaml:", "model.base", "unknown built-in model"]


@spec_case("base-missing-absolute-path")
def _(w):
    return (_yaml_edit(w, "model", "base", str(w.root / "no-model")),
            ["spec.yaml:", "model.base", "not found", "no-model"])


@spec_case("base-missing-relative-path")
def _(w):
    return _yaml_edit(w, "model", "base", "./no/such/model"), ["spec.yaml:", "model.base", "not found"]


@spec_case("base-missing-path-in-existing-folder")
def _(w):
    (w.root / "models").mkdir()
    return _yaml_edit(w, "model", "base", str(w.root / "models" / "bert")), ["spec.yaml:", "model.base",
                                                                             "model folder not found"]


@spec_case("base-hub-id-offline")
def _(w):
    return _yaml_edit(w, "model", "base", "someorg/somemodel"), ["spec.yaml:", "model.base", "Hugging Face cache"]


@spec_case("base-is-a-file")
def _(w):
    return _yaml_edit(w, "model", "base", str(w.csv)), ["spec.yaml:", "model.base", "is a file"]


@spec_case("base-empty-folder")
def _(w):
    (w.root / "empty").mkdir()
    return _yaml_edit(w, "model", "base", str(w.root / "empty")), ["spec.yaml:", "model.base", "empty folder"]


def _pickle_only(w: World) -> Path:
    m = w.model_copy()
    for p in m.glob("*.safetensors"):
        p.unlink()
    (m / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    return m


@spec_case("base-pickle-weights-only")
def _(w):
    return _yaml_edit(w, "model", "base", str(_pickle_only(w))), ["spec.yaml:", "model.base", "allow_pickle"]


@spec_case("base-no-config")
def _(w):
    m = w.model_copy(); (m / "config.json").unlink()
    return _yaml_edit(w, "model", "base", str(m)), ["spec.yaml:", "model.base", "config.json"]


@spec_case("base-corrupt-config")
def _(w):
    m = w.model_copy(); (m / "config.json").write_text("{not json")
    return _yaml_edit(w, "model", "base", str(m)), ["spec.yaml:", "model.base", "config.json", "not valid JSON"]


@spec_case("base-no-weights")
def _(w):
    m = w.model_copy()
    for p in m.glob("*.safetensors"):
        p.unlink()
    return _yaml_edit(w, "model", "base", str(m)), ["spec.yaml:", "model.base", "no weights"]


def _truncated(w: World) -> Path:
    m = w.model_copy()
    weights = next(m.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return m


@spec_case("base-truncated-weights")
def _(w):
    return _yaml_edit(w, "model", "base", str(_truncated(w))), ["spec.yaml:", "model.base", "truncated"]


@spec_case("base-garbage-weights")
def _(w):
    m = w.model_copy()
    next(m.glob("*.safetensors")).write_bytes(struct.pack("<Q", 10**12) + b"junk")
    return _yaml_edit(w, "model", "base", str(m)), ["spec.yaml:", "model.base", "not a safetensors file"]


@spec_case("prompt-tokens-over-limit")
def _(w):
    d = w.spec_data()
    d["model"]["adapter"] = {"method": "prompt", "num_virtual_tokens": 20}
    d["train"]["max_length"] = 120
    return w.spec(yaml.safe_dump(d, sort_keys=False)), ["spec.yaml:", "train.max_length", "virtual tokens"]


# ---- the data -----------------------------------------------------------------------------------------------------

@spec_case("data-file-missing")
def _(w):
    return _yaml_edit(w, "data", "source", str(w.root / "gone.csv")), ["spec.yaml:", "data.source", "gone.csv"]


@spec_case("data-source-is-folder")
def _(w):
    (w.root / "dir.csv").mkdir()
    return _yaml_edit(w, "data", "source", str(w.root / "dir.csv")), ["spec.yaml:", "data.source", "a folder"]


@spec_case("data-unknown-builtin")
def _(w):
    return _yaml_edit(w, "data", "source", "builtin:nope"), ["spec.yaml:", "data.source", "unknown built-in data set"]


@spec_case("data-explicit-test-missing")
def _(w):
    d = w.spec_data()
    d["data"].pop("source"); d["data"].pop("split")
    d["data"].update({"train": str(w.csv), "validation": str(w.csv), "test": str(w.root / "none.csv")})
    return w.spec(yaml.safe_dump(d, sort_keys=False)), ["spec.yaml:", "data.test", "none.csv"]


@spec_case("data-unsupported-type")
def _(w):
    (w.root / "d.xlsx").write_text("x")
    return w.spec_on(w.root / "d.xlsx"), ["d.xlsx", "unsupported file type"]


@spec_case("data-not-utf8")
def _(w):
    (w.root / "latin.csv").write_bytes("text,label\ncaf\xe9,pos\n".encode("latin-1"))
    return w.spec_on(w.root / "latin.csv"), ["latin.csv", "UTF-8"]


@spec_case("data-corrupt-parquet")
def _(w):
    (w.root / "bad.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    return w.spec_on(w.root / "bad.parquet"), ["bad.parquet", "parquet"]


@spec_case("data-truncated-parquet")
def _(w):
    path = w.data(make_sentiment_frame(60), "t.parquet")
    path.write_bytes(path.read_bytes()[:100])
    return w.spec_on(path), ["t.parquet", "parquet"]


@spec_case("data-bad-jsonl")
def _(w):
    (w.root / "d.jsonl").write_text('{"text": "a", "label": 1}\n{"text": \n')
    return w.spec_on(w.root / "d.jsonl"), ["d.jsonl", "cannot parse"]


@spec_case("data-bad-json")
def _(w):
    (w.root / "d.json").write_text("[{")
    return w.spec_on(w.root / "d.json"), ["d.json", "cannot parse"]


@spec_case("data-header-only")
def _(w):
    (w.root / "h.csv").write_text("text,label,group\n")
    return w.spec_on(w.root / "h.csv"), ["h.csv", "no rows"]


@spec_case("data-zero-bytes")
def _(w):
    (w.root / "z.csv").write_bytes(b"")
    return w.spec_on(w.root / "z.csv"), ["z.csv"]


@spec_case("data-missing-text-column")
def _(w):
    return w.spec_on(w.csv, text="review"), ["data.csv", "data.text", "'review' not found"]


@spec_case("data-missing-label-column")
def _(w):
    return w.spec_on(w.csv, label="sentiment"), ["data.csv", "data.label", "'sentiment' not found"]


@spec_case("data-missing-sensitive-column")
def _(w):
    return w.spec_on(w.csv, sensitive=["sex"]), ["data.csv", "data.sensitive", "'sex' not found"]


@spec_case("data-tsv-missing-label")
def _(w):
    return w.spec_on(w.data(make_sentiment_frame(60).drop(columns="label"), "d.tsv")), ["d.tsv", "data.label"]


@spec_case("data-one-class")
def _(w):
    df = make_sentiment_frame(60); df["label"] = "pos"
    return w.spec_on(w.data(df)), ["bad.csv", "data.label", "only one class"]


@spec_case("data-label-nan")
def _(w):
    df = make_sentiment_frame(60); df.loc[3, "label"] = None
    return w.spec_on(w.data(df)), ["bad.csv", "data.label", "missing value"]


@spec_case("data-one-group")
def _(w):
    df = make_sentiment_frame(60); df["group"] = "a"
    return w.spec_on(w.data(df)), ["bad.csv", "data.sensitive", "only one group"]


@spec_case("data-four-rows")
def _(w):
    df = make_sentiment_frame(4); df["group"] = ["a", "b", "a", "b"]
    return w.spec_on(w.data(df)), ["bad.csv", "data.split", "4 row(s)", "at least 2 row(s)", "at least 6 rows"]


@spec_case("data-too-few-for-test-fraction")
def _(w):
    df = make_sentiment_frame(6); df["group"] = ["a", "b"] * 3
    return w.spec_on(w.data(df), split={"validation": 0.1, "test": 0.1}), [
        "bad.csv", "data.split", "needs at least"]


@spec_case("data-id-as-label")
def _(w):
    df = make_sentiment_frame(1000); df["label"] = [f"id-{i}" for i in range(1000)]
    return w.spec_on(w.data(df), positive_label=None), ["bad.csv", "data.label", "1000 distinct values", "id column"]


@spec_case("data-label-unique-per-row")
def _(w):
    df = make_sentiment_frame(40); df["label"] = [f"l{i % 30}" for i in range(40)]
    return w.spec_on(w.data(df), positive_label=None), ["bad.csv", "data.label", "id column"]


@spec_case("data-empty-texts")
def _(w):
    df = make_sentiment_frame(60); df["text"] = ""
    return w.spec_on(w.data(df)), ["bad.csv", "data.text", "empty in every row"]


@spec_case("data-blank-texts")
def _(w):
    df = make_sentiment_frame(60); df["text"] = "   "
    return w.spec_on(w.data(df)), ["bad.csv", "data.text", "empty in every row"]


@spec_case("data-second-text-column-empty")
def _(w):
    df = make_sentiment_frame(60); df["title"] = ""
    return w.spec_on(w.data(df), text=["text", "title"]), ["bad.csv", "data.text", "'title'"]


@spec_case("data-positive-label-unknown")
def _(w):
    return w.spec_on(w.csv, positive_label="yes"), ["spec.yaml:", "data.positive_label", "'yes'"]


# ---- the output folder and its privacy ledger (run and validate --output) -----------------------------------------

@spec_case("output-is-a-file")
def _(w):
    w.out.write_text("not a folder")
    return w.spec(), ["reports", "--output", "is a file"]


@spec_case("output-under-a-file")
def _(w):
    (w.root / "afile").write_text("x")
    w.out = w.root / "afile" / "reports"
    return w.spec(), ["afile", "--output", "is a file"]


@spec_case("ledger-not-json")
def _(w):
    w.out.mkdir(); (w.out / "privacy_ledger.json").write_text("{truncated")
    return w.spec(), ["privacy_ledger.json", "privacy ledger is corrupt"]


@spec_case("ledger-wrong-shape")
def _(w):
    w.out.mkdir(); (w.out / "privacy_ledger.json").write_text('{"entries": 3}')
    return w.spec(), ["privacy_ledger.json", "privacy ledger is corrupt"]


@spec_case("ledger-entry-without-fingerprint")
def _(w):
    w.out.mkdir(); (w.out / "privacy_ledger.json").write_text('{"entries": [{"epsilon": 1.0}]}')
    return w.spec(), ["privacy_ledger.json", "fingerprint"]


@spec_case("ledger-is-a-folder")
def _(w):
    (w.out / "privacy_ledger.json").mkdir(parents=True)
    return w.spec(), ["privacy_ledger.json", "privacy ledger is corrupt"]


@spec_case("sample-below-label-count")
def _(w):
    df = make_sentiment_frame(60); df["label"] = [f"l{i % 3}" for i in range(60)]
    return w.spec_on(w.data(df), positive_label=None, sample={"test": 2}), ["spec.yaml:", "data.sample.test",
                                                                             "3 labels"]


# ---- run's own flags ----------------------------------------------------------------------------------------------

@case("run-seeds-zero")
def _(w):
    return ["run", str(w.spec()), "--seeds", "0", "-o", str(w.out)], ["--seeds: must be between 1 and 20"]


@case("run-seeds-text")
def _(w):
    return ["run", str(w.spec()), "--seeds", "many"], ["--seeds", "invalid int"]


@case("run-no-spec")
def _(w):
    return ["run"], ["rai-ft run", "SPEC"]


@case("run-unknown-flag")
def _(w):
    return ["run", str(w.spec()), "--ouput", "x"], ["unrecognized arguments", "--ouput"]


@case("run-policy-override-missing")
def _(w):
    return ["run", str(w.spec()), "--policy", str(w.root / "np.yaml"), "-o", str(w.out)], ["np.yaml", "not found"]


@case("unknown-command")
def _(w):
    return ["trian"], ["invalid choice", "trian"]


# ---- audit --model ------------------------------------------------------------------------------------------------

def _audit(w: World, model: Path | str, spec: Path | None = None) -> list[str]:
    return ["audit", str(spec or w.spec()), "--model", str(model), "--output", str(w.out), "--quiet"]


@case("audit-model-missing")
def _(w):
    return _audit(w, w.root / "no-model"), ["--model", "model folder not found", "no-model"]


@case("audit-model-is-file")
def _(w):
    return _audit(w, w.csv), ["--model", "is a file"]


@case("audit-model-empty-folder")
def _(w):
    (w.root / "empty").mkdir()
    return _audit(w, w.root / "empty"), ["--model", "empty folder"]


@case("audit-model-is-run-directory")
def _(w):
    run = w.root / "tiny-20260101-000000"
    shutil.copytree(w.model, run / "model")
    (run / "audit.json").write_text(json.dumps(minimal_audit()))
    return _audit(w, run), ["--model", "run directory", str(run / "model")]


@case("audit-model-corrupt-meta")
def _(w):
    m = w.model_copy(); (m / "rai_ft_model.json").write_text("{")
    return _audit(w, m), ["--model", "rai_ft_model.json", "not valid JSON"]


@case("audit-model-meta-without-labels")
def _(w):
    m = w.model_copy(); (m / "rai_ft_model.json").write_text('{"base": "x"}')
    return _audit(w, m), ["--model", "rai_ft_model.json", "labels"]


@case("audit-model-truncated-weights")
def _(w):
    return _audit(w, _truncated(w)), ["--model", "truncated"]


@case("audit-model-pickle-only")
def _(w):
    return _audit(w, _pickle_only(w)), ["--model", "allow_pickle"]


@case("audit-model-no-config")
def _(w):
    m = w.model_copy(); (m / "config.json").unlink()
    return _audit(w, m), ["--model", "config.json"]


@case("audit-model-no-weights")
def _(w):
    m = w.model_copy()
    for p in m.glob("*.safetensors"):
        p.unlink()
    return _audit(w, m), ["--model", "no weights"]


@case("audit-model-hub-id-offline")
def _(w):
    return _audit(w, "someorg/somemodel"), ["--model", "Hugging Face cache"]


@case("audit-model-adapter-base-missing")
def _(w):
    m = w.root / "adapter"; m.mkdir()
    (m / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(w.root / "gone-base")}))
    shutil.copy(next(w.model.glob("*.safetensors")), m / "adapter_model.safetensors")
    return _audit(w, m), ["--model", "gone-base", "not found"]


@case("audit-max-length-over-model-limit")
def _(w):
    return _audit(w, w.model, _yaml_edit(w, "train", "max_length", 512)), ["spec.yaml:", "train.max_length", "128"]


@case("audit-spec-with-seeds")
def _(w):
    return _audit(w, w.model, _yaml_edit(w, "train", "seeds", [1, 2])), ["spec.yaml", "train.seeds"]


@case("audit-output-is-file")
def _(w):
    w.out.write_text("x")
    return _audit(w, w.model), ["--output", "is a file"]


@case("audit-ledger-corrupt")
def _(w):
    w.out.mkdir(); (w.out / "privacy_ledger.json").write_text("[")
    return _audit(w, w.model), ["privacy_ledger.json", "corrupt"]


@case("audit-data-missing")
def _(w):
    return _audit(w, w.model, _yaml_edit(w, "data", "source", "gone.csv")), ["spec.yaml:", "data.source", "gone.csv"]


@case("audit-no-model-flag")
def _(w):
    return ["audit", str(w.spec())], ["--model", "required"]


# ---- gate ---------------------------------------------------------------------------------------------------------

@case("gate-audit-missing")
def _(w):
    return ["gate", str(w.root / "none.json"), "--policy", str(w.policy)], ["none.json", "not found"]


@case("gate-audit-not-json")
def _(w):
    return ["gate", str(w.audit_json({}, "{oops")), "--policy", str(w.policy)], ["audit.json", "not a valid audit.json"]


@case("gate-audit-wrong-schema")
def _(w):
    return ["gate", str(w.audit_json({}, '{"schema_version": "1.0"}')), "--policy", str(w.policy)], [
        "audit.json", "schema"]


@case("gate-audit-metric-is-text")
def _(w):
    doc = minimal_audit({"performance.accuracy": 0.9}); doc["metrics"]["performance.accuracy"] = "0.9"
    return ["gate", str(w.audit_json({}, json.dumps(doc))), "--policy", str(w.policy)], ["audit.json", "schema"]


@case("gate-run-dir-without-audit")
def _(w):
    (w.root / "run").mkdir()
    return ["gate", str(w.root / "run"), "--policy", str(w.policy)], ["audit.json", "not found"]


@case("gate-policy-missing")
def _(w):
    return ["gate", str(w.audit_json({"performance.accuracy": 0.9})), "--policy", str(w.root / "np.yaml")], [
        "np.yaml", "not found"]


@case("gate-policy-unknown-metric")
def _(w):
    w.policy.write_text("name: p\nthresholds:\n  - metric: performance.acuracy\n    min: 0.1\n")
    return ["gate", str(w.audit_json({})), "--policy", str(w.policy)], ["policy.yaml:", "thresholds[0].metric"]


@case("gate-policy-min-above-max")
def _(w):
    w.policy.write_text("name: p\nthresholds:\n  - metric: performance.accuracy\n    min: 0.9\n    max: 0.1\n")
    return (["gate", str(w.audit_json({})), "--policy", str(w.policy)],
            ["policy.yaml:", "thresholds[0]", "min is greater"])


@case("gate-policy-duplicate-threshold-key")
def _(w):
    w.policy.write_text("name: p\nthresholds:\n  - metric: performance.accuracy\n    min: 0.1\n    min: 0.9\n")
    return ["gate", str(w.audit_json({})), "--policy", str(w.policy)], ["policy.yaml:5", "thresholds[0].min",
                                                                          "first on line 4"]


@case("gate-junit-is-directory")
def _(w):
    (w.root / "junit").mkdir()
    return ["gate", str(w.audit_json({"performance.accuracy": 0.9})), "--policy", str(w.policy), "--junit",
            str(w.root / "junit")], ["--junit", "is a directory"]


@case("gate-summary-is-directory")
def _(w):
    (w.root / "sum").mkdir()
    return ["gate", str(w.audit_json({"performance.accuracy": 0.9})), "--policy", str(w.policy), "--summary",
            str(w.root / "sum")], ["--summary", "is a directory"]


@case("gate-junit-under-a-file")
def _(w):
    return ["gate", str(w.audit_json({"performance.accuracy": 0.9})), "--policy", str(w.policy), "--junit",
            str(w.csv / "gate.xml")], ["--junit", "is a file"]


@case("gate-fail-on-bogus")
def _(w):
    return ["gate", str(w.audit_json({})), "--policy", str(w.policy), "--fail-on", "never"], ["--fail-on"]


# The gate fails closed (exit 1) on a metric that is not a finite number; the reason is printed on stdout.
for _label, _raw, _why in [("infinity", "Infinity", "inf (not a finite number)"),
                           ("minus-infinity", "-Infinity", "-inf (not a finite number)"),
                           ("nan", "NaN", "missing or not measurable"), ("null", "null", "missing or not measurable")]:
    def _nonfinite(w, raw=_raw, why=_why):
        text = json.dumps(minimal_audit({"performance.accuracy": 0.5})).replace(
            '"performance.accuracy": 0.5', f'"performance.accuracy": {raw}')
        return ["gate", str(w.audit_json({}, text)), "--policy", str(w.policy)], [
            "FAIL  performance.accuracy", f"{why}; failing closed", "gate: FAIL"]
    case(f"gate-metric-{_label}", code=1)(_nonfinite)


# ---- report, validate, init ---------------------------------------------------------------------------------------

@case("report-missing-dir")
def _(w):
    return ["report", str(w.root / "norun")], ["norun", "not found"]


@case("report-on-a-file")
def _(w):
    return ["report", str(w.csv)], ["data.csv"]


@case("report-dir-without-audit")
def _(w):
    (w.root / "run").mkdir()
    return ["report", str(w.root / "run")], ["audit.json", "not found"]


@case("report-corrupt-audit")
def _(w):
    (w.root / "run").mkdir(); (w.root / "run" / "audit.json").write_text("{")
    return ["report", str(w.root / "run")], ["audit.json", "not a valid audit.json"]


@case("validate-policy-unknown-key")
def _(w):
    w.policy.write_text("name: p\nthresholds: []\ngaurds: {}\n")
    return ["validate", str(w.policy), "--kind", "policy"], ["policy.yaml:3", "gaurds", "unknown key"]


@case("validate-policy-unknown-guard")
def _(w):
    w.policy.write_text("name: p\nguards:\n  dpp: {}\n")
    return ["validate", str(w.policy)], ["policy.yaml:", "guards"]


@case("validate-model-flag-run-directory")
def _(w):
    run = w.root / "r"
    shutil.copytree(w.model, run / "model")
    (run / "audit.json").write_text("{}")
    return ["validate", str(w.spec()), "--model", str(run)], ["--model", "run directory"]


@case("validate-no-data-still-checks-model")
def _(w):
    return ["validate", str(_yaml_edit(w, "model", "base", "builtin:nope")), "--no-data"], ["spec.yaml:", "model.base"]


@case("validate-kind-bogus")
def _(w):
    return ["validate", str(w.spec()), "--kind", "both"], ["--kind"]


@case("gate-summary-not-utf8")
def _(w):
    (w.root / "sum.md").write_bytes(b"caf\xe9")
    return ["gate", str(w.audit_json({"performance.accuracy": 0.9})), "--policy", str(w.policy), "--summary",
            str(w.root / "sum.md")], ["sum.md", "--summary", "UTF-8"]


@case("init-into-a-file")
def _(w):
    return ["init", str(w.csv)], ["data.csv", "not a folder"]


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): (p.stat().st_size if p.is_file() else -1) for p in sorted(root.rglob("*"))}


@pytest.fixture()
def no_training(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Replace the training entry point: a case that reaches it records the call (and fails)."""
    import rai_ft.training.loop as loop

    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("training started for a bad input")

    monkeypatch.setattr(loop, "train_model", refuse)
    return calls


def test_the_corpus_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 100
    commands = {name.split("-", 1)[0] for name in CASES}
    assert {"run", "audit", "gate", "report", "validate", "init"} <= commands


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, tmp_path: Path, tiny_model_dir: Path, no_training: list[object],
                   capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    w = World(tmp_path, tiny_model_dir)
    argv, expected, fragments = CASES[name](w)
    capsys.readouterr()
    before = _tree(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    assert no_training == [], "training started"
    assert code == expected, (code, err, out)
    if expected == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("rai-ft: error: "), lines[0]
        text = lines[0]
    else:
        assert err == "", err
        text = out
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Traceback" not in err
    assert _tree(tmp_path) == before, "something was left behind"
