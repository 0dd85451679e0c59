"""Concurrent runs sharing one output folder and its privacy ledger: every entry kept, no run directory shared."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

from rai_ft.privacy.ledger import LEDGER_FILE, append_entry, read_ledger
from rai_ft.record import reserved_run_dir, staged_run_dir
from tests.conftest import make_sentiment_frame, run_dirs, spec_dict, write_yaml

ROOT = Path(__file__).resolve().parents[1]


def _append_many(root: str, worker: int, n: int) -> None:
    for i in range(n):
        append_entry(Path(root), f"run-{worker}-{i}", "f" * 64, None, None, None)


def test_ledger_appends_from_four_processes_are_all_kept(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    entries = read_ledger(tmp_path)
    assert sorted(e["run_id"] for e in entries) == sorted(f"run-{w}-{i}" for w in range(4) for i in range(25))
    json.loads((tmp_path / LEDGER_FILE).read_text())  # strict JSON, whole


def test_reserved_names_are_distinct_under_threads_and_nothing_is_left(tmp_path: Path) -> None:
    names: list[str] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        with reserved_run_dir(tmp_path, "same") as final:
            names.append(final.name)
            with staged_run_dir(final) as tmp:
                (tmp / "audit.json").write_text("{}")

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(set(names)) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # committed, no staging folder left


def test_a_committed_run_does_not_remove_a_later_claim_of_its_name(tmp_path: Path) -> None:
    """Failed before (the flaky 7 == 8 above, under load): a run that committed X removed ".X.partial" on its way
    out, though by then that folder was another run's fresh claim of the same name; the other run then crashed
    with FileNotFoundError when it found X taken and released its claim."""
    from rai_ft.record import _reservation

    with reserved_run_dir(tmp_path, "same") as final:
        with staged_run_dir(final) as tmp:
            (tmp / "audit.json").write_text("{}")
        os.mkdir(_reservation(final))  # a slower run claims the same name between our commit and our exit
    assert _reservation(final).is_dir() and final.is_dir()


def test_a_reservation_is_released_when_the_run_fails(tmp_path: Path) -> None:
    try:
        with reserved_run_dir(tmp_path / "reports", "x"):
            raise RuntimeError("crash mid-training")
    except RuntimeError:
        pass
    assert not (tmp_path / "reports").exists()


def test_four_concurrent_runs_share_an_output_folder(tmp_path: Path, tiny_model_dir: Path) -> None:
    data = tmp_path / "d.csv"
    make_sentiment_frame(48).to_csv(data, index=False)
    policy = write_yaml(tmp_path / "p.yaml", {"name": "any", "thresholds": [
        {"metric": "performance.accuracy", "min": 0.0}]})  # every complete run passes: the test is about writing
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, data, policy,
                                                     train__epochs=1, train__max_length=16))
    out = tmp_path / "shared"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "rai_ft", "run", str(spec), "--output", str(out), "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    results = [p.communicate(timeout=1500) for p in procs]
    for p, (stdout, stderr) in zip(procs, results):
        assert p.returncode == 0, stdout + stderr
    dirs = run_dirs(out)
    assert len(dirs) == 4 and len({d.name for d in dirs}) == 4
    for d in dirs:
        assert json.loads((d / "audit.json").read_text())["run_id"] == d.name
    ledger = json.loads((out / LEDGER_FILE).read_text())
    assert sorted(e["run_id"] for e in ledger["entries"]) == sorted(d.name for d in dirs)
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")]
