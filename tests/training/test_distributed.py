"""Two CPU processes under `accelerate launch`: gradients are synchronised (DDP, and Opacus DPDDP with dp), only
rank 0 writes, and ε is accounted at the global sample rate."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_dirs, spec_dict, write_yaml

pytestmark = pytest.mark.skipif(shutil.which("accelerate", path=str(Path(sys.executable).parent)) is None,
                                reason="accelerate is not installed")

# Each rank trains through the real pipeline helper and writes a digest of its trained weights.
PROBE = """
import hashlib, json, os, sys
import torch
from rai_ft.registry import build_guards
from rai_ft.modeling.loading import load_tokenizer, resolve_base
from rai_ft.data.loading import load_data
from rai_ft.pipeline import _train, prepare
prep = prepare(sys.argv[1])
data = load_data(prep.spec)
location = resolve_base(prep.spec.model.base)
guards = build_guards(prep.policy)
model, summary = _train(prep, data, guards, location, load_tokenizer(location, None), True)
h = hashlib.sha256()
for name, p in sorted(model.named_parameters()):
    if p.requires_grad:
        h.update(name.encode()); h.update(p.detach().cpu().numpy().tobytes())
eps = next((g.epsilon() for g in guards if g.name == "dp"), None)
out = {"digest": h.hexdigest(), "steps": summary.steps, "processes": summary.processes, "epsilon": eps,
       "first_loss": summary.step_losses[0]}
open(os.path.join(sys.argv[2], f"rank{os.environ.get('RANK', '0')}.json"), "w").write(json.dumps(out))
"""


def launch(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    accelerate = str(Path(sys.executable).parent / "accelerate")
    cmd = [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision",
           "no", "--dynamo_backend", "no", "--main_process_port", str(port), *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path.cwd())}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def _policy(tmp_path: Path, guards: dict) -> Path:
    return write_yaml(tmp_path / "policy.yaml", {
        "name": "ddp", "guards": guards, "checks": {"fairness": {"min_group_size": 5}},
        "thresholds": [{"metric": "performance.accuracy", "min": 0.0}]})


@pytest.mark.parametrize("guards", [{}, {"dp": {"target_epsilon": 3.0}},
                                    {"dp": {"target_epsilon": 3.0, "clipping": "ghost"}}],
                         ids=["ddp", "dp-ddp", "dp-ghost-ddp"])
def test_two_processes_end_with_identical_weights(tmp_path, tiny_model_dir, sentiment_csv, guards) -> None:
    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(
        tiny_model_dir, sentiment_csv, _policy(tmp_path, guards),
        model={"base": str(tiny_model_dir), "adapter": {"method": "lora"}}))
    (tmp_path / "probe.py").write_text(PROBE)
    proc = launch([str(tmp_path / "probe.py"), str(spec), str(tmp_path)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["processes"] == r1["processes"] == 2
    assert r0["steps"] == r1["steps"] > 0
    # each rank saw different examples (different first losses) yet the weights agree: gradients were averaged
    assert r0["first_loss"] != r1["first_loss"]
    assert r0["digest"] == r1["digest"]
    if guards:
        assert r0["epsilon"] == pytest.approx(r1["epsilon"]) and 0 < r0["epsilon"] <= 3.0 + 1e-6


def test_accelerate_launch_runs_the_cli_with_dp_and_only_rank0_writes(tmp_path, tiny_model_dir,
                                                                     sentiment_csv) -> None:
    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(
        tiny_model_dir, sentiment_csv, _policy(tmp_path, {"dp": {"target_epsilon": 3.0}}),
        model={"base": str(tiny_model_dir), "adapter": {"method": "lora"}}))
    proc = launch(["-m", "rai_ft", "run", str(spec), "--output", str(tmp_path / "reports"), "--quiet"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    dirs = run_dirs(tmp_path / "reports")
    assert len(dirs) == 1
    doc = json.loads((dirs[0] / "audit.json").read_text())
    assert doc["training"]["processes"] == 2
    assert "on 2 data-parallel processes" in (dirs[0] / "report.html").read_text(encoding="utf-8")
    s = doc["guards"]["dp"]["summary"]
    n_train, batch = doc["data"]["sizes"]["train"], 16
    assert s["sample_rate"] == pytest.approx(1 / -(-n_train // batch))  # the global batch's rate, not per process
    assert doc["metrics"]["privacy.epsilon"] <= 3.0 + 1e-6
    ledger = json.loads((tmp_path / "reports" / "privacy_ledger.json").read_text())
    assert len(ledger["entries"]) == 1  # rank 1 wrote nothing
    assert "Traceback" not in proc.stderr


def test_dp_with_fixed_batches_is_refused_on_several_processes(tmp_path, tiny_model_dir, sentiment_csv) -> None:
    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(
        tiny_model_dir, sentiment_csv, _policy(tmp_path, {"dp": {"target_epsilon": 3.0, "poisson_sampling": False}}),
        model={"base": str(tiny_model_dir), "adapter": {"method": "lora"}}))
    proc = launch(["-m", "rai_ft", "run", str(spec), "--output", str(tmp_path / "reports"), "--quiet"], tmp_path)
    assert proc.returncode != 0
    assert "needs poisson_sampling: true" in proc.stderr
    assert not (tmp_path / "reports").exists() or not run_dirs(tmp_path / "reports")


def test_only_rank0_audits_an_existing_model(tmp_path, tiny_model_dir, sentiment_csv, monkeypatch) -> None:
    from rai_ft.pipeline import audit, run

    spec = write_yaml(tmp_path / "spec.yaml", spec_dict(tiny_model_dir, sentiment_csv, _policy(tmp_path, {})))
    trained, _ = run(spec, tmp_path / "trained", quiet=True)
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    _, doc = audit(spec, trained / "model", tmp_path / "reports", quiet=True)
    assert doc is None and not (tmp_path / "reports").exists()
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    out, doc = audit(spec, trained / "model", tmp_path / "reports", quiet=True)
    assert doc is not None and (out / "audit.json").is_file()
