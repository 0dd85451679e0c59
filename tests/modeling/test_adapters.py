"""Every adapter method trains, touches only what it should, and round-trips through save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rai_ft.config import ADAPTER_METHODS, load_spec
from rai_ft.tasks.text_classification import TextClassification
from rai_ft.validation import load_policy
from rai_ft.data.loading import TEXT, load_data
from rai_ft.modeling.adapters import apply_adapter, count_parameters
from rai_ft.modeling.artifacts import load_saved_model, model_meta, save_model
from rai_ft.modeling.inference import predict_proba
from rai_ft.modeling.loading import load_classifier, load_tokenizer
from rai_ft.training.context import TrainContext
from rai_ft.training.loop import train_model
from rai_ft.training.seed import seed_everything
from tests.conftest import SEED, spec_dict, write_yaml

ADAPTER_SETTINGS = {
    "lora": {"method": "lora", "r": 4},
    "adalora": {"method": "adalora", "r": 4, "target_r": 2},
    "ia3": {"method": "ia3"},
    "prompt": {"method": "prompt", "num_virtual_tokens": 4},
    "prefix": {"method": "prefix", "num_virtual_tokens": 4},
    "bitfit": {"method": "bitfit"},
    "head": {"method": "head"},
    "full": {"method": "full"},
}


def test_every_method_has_a_test_setting() -> None:
    assert set(ADAPTER_SETTINGS) == set(ADAPTER_METHODS)


def _train(tmp_path: Path, model_dir: Path, data_csv: Path, policy: Path, adapter: dict):
    spec = load_spec(write_yaml(tmp_path / "s.yaml", spec_dict(
        model_dir, data_csv, policy, model={"base": str(model_dir), "adapter": adapter},
        train={"epochs": 1, "batch_size": 16, "learning_rate": 1e-2, "max_length": 32, "seed": SEED,
               "early_stopping": None})))
    data = load_data(spec)
    seed_everything(SEED)
    tok = load_tokenizer(str(model_dir))
    model = load_classifier(str(model_dir), data.labels)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    steps = -(-len(data.train) // 16)
    model = apply_adapter(model, spec.model.adapter, steps)
    ctx = TrainContext(spec=spec, policy=load_policy(spec.resolve_path(spec.policy)), data=data, model=model,
                       tokenizer=tok, task=TextClassification(), steps_per_epoch=steps, total_steps=steps)
    summary = train_model(ctx, [], progress=False)
    return spec, data, tok, ctx.model, before, summary


@pytest.mark.parametrize("method", list(ADAPTER_SETTINGS))
def test_adapter_trains_and_round_trips(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, method) -> None:
    spec, data, tok, model, _, summary = _train(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                                                ADAPTER_SETTINGS[method])
    trainable, total = count_parameters(model)
    assert summary.steps > 0 and all(np.isfinite(summary.step_losses))
    if method == "full":
        assert trainable == total
    else:
        assert 0 < trainable < total / 2
    texts = data.test[TEXT].tolist()
    expected = predict_proba(model, tok, texts, 32, progress=False)
    out = tmp_path / "saved"
    save_model(model, tok, out, model_meta(model, str(tiny_model_dir), method, data.labels, 1, 32))
    assert list(out.glob("*.safetensors")) and not list(out.glob("*.bin"))
    loaded, loaded_tok, meta = load_saved_model(out)
    assert meta["method"] == method and meta["labels"] == data.labels
    got = predict_proba(loaded, loaded_tok, texts, 32, progress=False)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bitfit_changes_only_biases_and_head(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    _, _, _, model, before, _ = _train(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy, {"method": "bitfit"})
    changed = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert changed, "BitFit changed nothing"
    assert all(n.endswith(".bias") or n.startswith("classifier.") for n in changed)
    assert any(n.startswith("bert.") and n.endswith(".bias") for n in changed)


def test_lora_leaves_base_weights_untouched(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy) -> None:
    _, _, _, model, before, _ = _train(tmp_path, tiny_model_dir, sentiment_csv, lenient_policy,
                                       {"method": "lora", "r": 4})
    base = model.get_base_model()
    weight = base.bert.encoder.layer[0].attention.self.query.base_layer.weight
    assert torch.equal(weight, before["bert.encoder.layer.0.attention.self.query.weight"])


def test_pickled_weights_are_refused_by_default(tmp_path, tiny_model_dir) -> None:
    from transformers import BertForSequenceClassification

    from rai_ft.errors import SpecError

    model = BertForSequenceClassification.from_pretrained(tiny_model_dir)
    model.save_pretrained(tmp_path / "pickled", safe_serialization=False)
    with pytest.raises(SpecError, match="no safetensors weights"):
        load_classifier(str(tmp_path / "pickled"), ["a", "b"])


def test_head_parameters_found_through_peft_and_opacus(tiny_model_dir) -> None:
    from opacus import GradSampleModule

    from rai_ft.config.spec import AdapterConfig
    from rai_ft.modeling.adapters import apply_adapter, head_parameters
    from rai_ft.modeling.loading import load_classifier

    plain = load_classifier(str(tiny_model_dir), ["neg", "pos"])
    assert {id(p) for p in head_parameters(plain)} == {id(p) for p in plain.classifier.parameters()}
    lora = apply_adapter(load_classifier(str(tiny_model_dir), ["neg", "pos"]), AdapterConfig(method="lora"), 10)
    head = head_parameters(lora)
    trainable_head = [p for n, p in lora.named_parameters() if p.requires_grad and "classifier" in n]
    assert head and {id(p) for p in head} == {id(p) for p in trainable_head}  # peft's frozen original is left out
    assert {id(p) for p in head_parameters(GradSampleModule(lora))} == {id(p) for p in head}
