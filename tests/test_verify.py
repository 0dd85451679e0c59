"""``rai-ft verify`` on planted tampering: one edited metric, one flipped byte of the weights, a file added or
removed, an edited report, a rewritten record without the signer's key, changed data, each fails (exit 1) naming what
changed; the untouched run, and the same run re-rendered with ``rai-ft report``, pass (exit 0)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rai_ft.provenance import content_sha256, field_hashes, seal
from rai_ft.verify import MSG_NO_INTEGRITY, verify_run
from tests.conftest import SEED, write_yaml
from tests.tasks.image_classification.images import image_folder, small_cnn_base


def _run(tmp: Path) -> Path:
    from rai_ft.pipeline import run

    image_folder(tmp / "imgs", per_class=20)
    write_yaml(tmp / "policy.yaml", {"name": "p", "checks": {"performance": {}},
                                     "thresholds": [{"metric": "performance.accuracy", "min": 0.0}]})
    spec = write_yaml(tmp / "spec.yaml", {
        "name": "v", "task": "image-classification", "policy": "policy.yaml", "data": {"source": "imgs"},
        "model": {"base": str(small_cnn_base(tmp / "cnn")), "adapter": {"method": "full"}},
        "train": {"epochs": 1, "batch_size": 16, "learning_rate": 0.01, "seed": SEED}})
    run_dir, _ = run(spec, output_root=tmp / "reports", quiet=True)
    return run_dir


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("verify"))


@pytest.fixture()
def copy(sealed: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(sealed, tmp_path / sealed.name))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rai_ft", "verify", *args], capture_output=True, text=True,
                          timeout=300)


def test_an_untouched_run_is_intact_and_its_reports_show_the_content_hash(sealed: Path) -> None:
    doc = json.loads((sealed / "audit.json").read_text())
    assert verify_run(sealed) == [] and verify_run(sealed, data=True) == []
    digest = doc["integrity"]["content_sha256"]
    assert digest == content_sha256(doc) and {"model/model.safetensors", "model/config.json"} <= set(
        doc["integrity"]["files"])
    assert digest in (sealed / "report.html").read_text() and digest in (sealed / "model_card.md").read_text()
    proc = _cli(str(sealed), "--expect", digest[:12])
    assert proc.returncode == 0 and f"intact (content sha256 {digest}" in proc.stdout


def test_one_edited_metric_fails_naming_the_metric(copy: Path) -> None:
    doc = json.loads((copy / "audit.json").read_text())
    doc["metrics"]["performance.accuracy"] = 0.999
    (copy / "audit.json").write_text(json.dumps(doc, indent=2))
    proc = _cli(str(copy))
    assert proc.returncode == 1
    assert "CHANGED audit.json: metrics.performance.accuracy changed since the audit" in proc.stdout
    assert "audit.json: content sha256 is" in proc.stdout


def test_one_flipped_byte_of_the_weights_fails_naming_the_file(copy: Path) -> None:
    weights = copy / "model" / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 1
    weights.write_bytes(bytes(raw))
    assert [d.split(":")[0] for d in verify_run(copy)] == ["model/model.safetensors"]
    assert _cli(str(copy)).returncode == 1


def test_added_and_removed_files_and_an_edited_report_fail(copy: Path) -> None:
    (copy / "model" / "extra.bin").write_bytes(b"x")
    (copy / "model" / "preprocessor_config.json").unlink()
    html = copy / "report.html"
    html.write_text(html.read_text().replace("</main>", "<p>all good</p></main>"))
    found = verify_run(copy)
    assert "model/extra.bin: not in the record (added after the audit)" in found
    assert any(d.startswith("model/preprocessor_config.json: missing") for d in found)
    assert any(d.startswith("report.html: differs from what audit.json renders") for d in found)


def test_re_rendering_with_rai_ft_report_keeps_the_run_intact(copy: Path) -> None:
    from rai_ft.render import render_run_dir

    (copy / "model_card.md").write_text("edited")
    assert verify_run(copy) != []
    render_run_dir(copy)
    assert verify_run(copy) == []


def _reseal(run_dir: Path, doc: dict) -> dict:
    """What a forger with the files can do: seal the record again and render its reports again."""
    from rai_ft.render import render_run_dir

    sealed_doc = seal(doc, run_dir)
    (run_dir / "audit.json").write_text(json.dumps(sealed_doc))
    render_run_dir(run_dir)
    return sealed_doc


def test_a_record_re_sealed_by_someone_else_fails_the_expected_hash_and_the_trusted_key(
        copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def key(name: str) -> tuple[Path, Path]:
        k = Ed25519PrivateKey.generate()
        priv, pub = tmp_path / f"{name}.key", tmp_path / f"{name}.pub"
        priv.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        pub.write_bytes(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo))
        return priv, pub

    (team_key, team_pub), (other_key, _) = key("team"), key("other")
    doc = json.loads((copy / "audit.json").read_text())
    original = doc["integrity"]["content_sha256"]
    monkeypatch.setenv("RAI_FT_SIGNING_KEY", str(team_key))
    signed = _reseal(copy, doc)
    assert verify_run(copy, public_key=str(team_pub)) == []
    forged = {**signed, "metrics": {**signed["metrics"], "performance.accuracy": 0.123}}
    monkeypatch.setenv("RAI_FT_SIGNING_KEY", str(other_key))
    _reseal(copy, forged)
    found = verify_run(copy, public_key=str(team_pub), expect=original[:12])
    assert any("--expect says" in d for d in found)
    assert any("not with the key given by --public-key" in d for d in found)
    monkeypatch.delenv("RAI_FT_SIGNING_KEY")
    _reseal(copy, forged)  # consistent but unsigned
    assert verify_run(copy, public_key=str(team_pub)) == [
        "audit.json: not signed, and --public-key asks for a signature"]


def test_changed_data_fails_with_data(copy: Path, sealed: Path) -> None:
    doc = json.loads((sealed / "audit.json").read_text())
    imgs = Path(doc["data"]["files"][0]["path"])
    victim = sorted(imgs.rglob("*.png"))[0]
    original = victim.read_bytes()
    try:
        from PIL import Image

        Image.new("L", (16, 16), 255).save(victim)
        assert verify_run(copy) == []  # without --data the data is not read
        found = verify_run(copy, data=True)
        assert len(found) == 1 and found[0].startswith(f"data {imgs}: sha256 is")
    finally:
        victim.write_bytes(original)


def test_field_hashes_name_nested_keys_and_a_run_without_integrity_is_bad_input(copy: Path) -> None:
    hashes = field_hashes({"metrics": {"a": 1, "b": 2}, "kind": "run", "integrity": {"x": 1}})
    assert set(hashes) == {"metrics", "metrics.a", "metrics.b", "kind"}
    doc = json.loads((copy / "audit.json").read_text())
    del doc["integrity"]
    (copy / "audit.json").write_text(json.dumps(doc))
    proc = _cli(str(copy))
    assert proc.returncode == 2
    assert MSG_NO_INTEGRITY.format(path=copy / "audit.json") in proc.stderr and "Traceback" not in proc.stderr


def test_an_edited_spec_fails_with_data(copy: Path, sealed: Path) -> None:
    doc = json.loads((sealed / "audit.json").read_text())
    spec = Path(doc["spec_file"])
    assert doc["integrity"]["inputs"]["spec"]["path"] == str(spec)
    original = spec.read_text()
    try:
        spec.write_text(original + "# edited after the audit\n")
        found = verify_run(copy, data=True)
        assert len(found) == 1 and found[0].startswith(f"spec {spec}: sha256 is")
    finally:
        spec.write_text(original)


def test_an_audit_run_also_checks_the_audited_model_folder(sealed: Path, tmp_path: Path) -> None:
    from rai_ft.pipeline import audit

    model = Path(shutil.copytree(sealed / "model", tmp_path / "model"))
    doc = json.loads((sealed / "audit.json").read_text())
    audit_dir, audited = audit(doc["spec_file"], model, output_root=tmp_path / "audits", quiet=True)
    assert audited is not None and audited["kind"] == "audit" and verify_run(audit_dir) == []
    weights = model / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 1
    weights.write_bytes(bytes(raw))
    found = verify_run(audit_dir)
    assert len(found) == 1 and found[0].startswith(f"{weights}: sha256 is")
