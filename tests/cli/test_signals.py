"""SIGTERM and Ctrl-C mid-training: one line, exit 3, nothing left behind; warnings never pad an error line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from rai_ft.cli import main
from rai_ft.errors import SpecError
from tests.conftest import make_sentiment_frame, spec_dict, write_yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig, word", [(signal.SIGTERM, "terminated"), (signal.SIGINT, "interrupted")])
def test_signal_mid_training_leaves_nothing(sig, word, tmp_path, tiny_model_dir, lenient_policy) -> None:
    data = tmp_path / "d.csv"
    make_sentiment_frame(240).to_csv(data, index=False)
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, data, lenient_policy, train__epochs=500))
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "rai_ft", "run", str(spec), "--output", str(out), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 600
    while not (out.is_dir() and any(p.name.endswith(".partial") for p in out.iterdir())):  # reserved: training
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 3, stderr
    assert stderr.strip().splitlines() == [f"rai-ft: {word}; no report was written"]
    assert not out.exists()  # this run created it and kept nothing


def test_warnings_do_not_pad_an_error_line(monkeypatch, capsys) -> None:
    import rai_ft.cli.validate as validate

    def noisy(args: object) -> int:
        warnings.warn("a library's chatter", UserWarning)
        raise SpecError("bad", file="x.yaml", field="f")

    monkeypatch.setattr(validate, "handle", noisy)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["validate", "x.yaml"]) == 2
    assert seen == []
    assert capsys.readouterr().err == "rai-ft: error: x.yaml: f: bad\n"


def test_warnings_of_a_command_that_ran_are_still_shown(monkeypatch) -> None:
    import rai_ft.cli.validate as validate

    def noisy(args: object) -> int:
        warnings.warn("worth knowing", UserWarning)
        return 0

    monkeypatch.setattr(validate, "handle", noisy)
    with pytest.warns(UserWarning, match="worth knowing"):
        assert main(["validate", "x.yaml"]) == 0
