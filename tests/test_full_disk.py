"""A full disk: exit 3 with one line, no run directory (not even a hidden partial one), the ledger intact.

The output folder is a 1 MB tmpfs where the machine allows mounting one (the tiny model's weights need ~4 MB);
elsewhere, writes fail with ENOSPC injected at the writer.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from rai_ft.cli import main
from rai_ft.privacy.ledger import LEDGER_FILE
from tests.conftest import make_sentiment_frame, spec_dict, write_yaml
from tests.mounts import tmpfs

LEDGER = {"schema": 1, "entries": [{"run_id": "earlier", "fingerprint": "e" * 64, "epsilon": 1.0, "delta": 1e-5,
                                    "accountant": "rdp", "private": True, "created_at": "2026-01-01T00:00:00+00:00"}]}


def _spec(tmp_path: Path, model: Path, policy: Path) -> Path:
    data = tmp_path / "d.csv"
    make_sentiment_frame(48).to_csv(data, index=False)
    return write_yaml(tmp_path / "s.yaml", spec_dict(model, data, policy, train__epochs=1, train__max_length=16))


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", "injected")


def _assert_clean_failure(code: int, err: str, out: Path, ledger_before: str) -> None:
    lines = err.strip().splitlines()
    assert code == 3 and len(lines) == 1, err
    assert lines[0].startswith("rai-ft: runtime error: no space left on device"), lines[0]
    assert sorted(p.name for p in out.iterdir() if p.name != f".{LEDGER_FILE}.lock") == [LEDGER_FILE]
    assert (out / LEDGER_FILE).read_text() == ledger_before
    json.loads(ledger_before)


def test_full_disk_while_saving_the_model(tmp_path, tiny_model_dir, lenient_policy, capsys, monkeypatch) -> None:
    spec = _spec(tmp_path, tiny_model_dir, lenient_policy)
    with tmpfs(tmp_path / "small", size="1m") as mounted:
        out = mounted if mounted is not None else tmp_path / "out"
        out.mkdir(exist_ok=True)
        (out / LEDGER_FILE).write_text(json.dumps(LEDGER, indent=2))
        before = (out / LEDGER_FILE).read_text()
        if mounted is None:  # no tmpfs here: the model writer fails as a full disk would
            import rai_ft.modeling.artifacts as artifacts

            monkeypatch.setattr(artifacts, "save_model", _no_space)
        capsys.readouterr()
        code = main(["run", str(spec), "--output", str(out), "--quiet"])
        _assert_clean_failure(code, capsys.readouterr().err, out, before)


def test_full_disk_while_writing_the_ledger_keeps_neither(tmp_path, tiny_model_dir, lenient_policy, capsys,
                                                          monkeypatch) -> None:
    """The ledger entry is written before the run directory is renamed into place: a failure there leaves neither."""
    import rai_ft.privacy.ledger as ledger

    spec = _spec(tmp_path, tiny_model_dir, lenient_policy)
    out = tmp_path / "out"
    out.mkdir()
    (out / LEDGER_FILE).write_text(json.dumps(LEDGER, indent=2))
    before = (out / LEDGER_FILE).read_text()
    monkeypatch.setattr(ledger, "write_text_atomic", _no_space)
    capsys.readouterr()
    code = main(["run", str(spec), "--output", str(out), "--quiet"])
    _assert_clean_failure(code, capsys.readouterr().err, out, before)


@pytest.mark.parametrize("fail_at", ["write", "replace"])
def test_atomic_write_failure_leaves_the_old_file(tmp_path, monkeypatch, fail_at) -> None:
    import os

    from rai_ft.record import write_text_atomic

    target = tmp_path / LEDGER_FILE
    target.write_text("old")
    if fail_at == "write":
        real = os.fdopen

        class Full:
            def __init__(self, fh):
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

            def write(self, text):
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real(fd, *a, **k)))
    else:
        monkeypatch.setattr(os, "replace", _no_space)
    with pytest.raises(OSError):
        write_text_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == [LEDGER_FILE]
