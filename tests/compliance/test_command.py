"""``rai-ft compliance`` end to end on a real run: both files from audit.json alone, reviewer answers merged (and
escaped), the page renders in Chromium; a policy's ``compliance:`` list renders with every run, an unknown framework
is refused at validation; ``rai-ft verify`` ignores the compliance files it does not seal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rai_ft.compliance.framework import MSG_UNKNOWN_FRAMEWORK
from rai_ft.errors import SpecError
from rai_ft.validation import load_policy
from rai_ft.verify import verify_run
from tests.conftest import write_yaml
from tests.test_verify import _run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("compliance"))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rai_ft", "compliance", *args], capture_output=True, text=True,
                          timeout=300)


def test_the_command_writes_both_files_with_answers_merged_and_escaped(run_dir: Path, tmp_path: Path) -> None:
    work = Path(shutil.copytree(run_dir, tmp_path / run_dir.name))
    answers = write_yaml(tmp_path / "answers.yaml", {"reviewer": "Jane <b>Doe</b>", "date": "2026-12-06", "answers": {
        "eu-ai-act": {"Art. 14": {"statement": "Officers override <script>alert(1)</script>."}},
        "nist-ai-rmf": {"MEASURE 2.2": {"statement": "No human subjects.", "not_applicable": True}}}})
    proc = _cli(str(work), "--framework", "eu-ai-act", "--framework", "nist-ai-rmf", "--answers", str(answers))
    assert proc.returncode == 0, proc.stderr
    assert "not legal advice" in proc.stdout and proc.stdout.startswith("eu-ai-act: ")
    comp = json.loads((work / "compliance.json").read_text())
    eu, nist = (f["requirements"] for f in comp["frameworks"])
    art14 = next(r for r in eu if r["id"] == "Art. 14")
    assert art14["status"] == "needs human input" and art14["human_input"]["reviewer"] == "Jane <b>Doe</b>"
    assert next(r for r in nist if r["id"] == "MEASURE 2.2")["status"] == "not applicable"
    doc = json.loads((work / "audit.json").read_text())
    assert comp["run"]["content_sha256"] == doc["integrity"]["content_sha256"]
    accuracy = next(r for r in eu if r["id"] == "Art. 15(1)-(3)")["evidence"][0]
    assert accuracy["satisfied"]
    assert accuracy["value"] == {"performance.accuracy": doc["metrics"]["performance.accuracy"]}
    html = (work / "compliance.html").read_text()
    assert "&lt;script&gt;" in html and "<script>" not in html and "Jane &lt;b&gt;Doe" in html
    assert "Not legal advice." in html
    assert verify_run(work) == []  # compliance files are outputs, not sealed run files


def test_the_page_renders_in_chromium(run_dir: Path, tmp_path: Path) -> None:
    from tests.browser import open_report

    work = Path(shutil.copytree(run_dir, tmp_path / run_dir.name))
    assert _cli(str(work), "--framework", "iso-42001").returncode == 0
    seen = open_report(work / "compliance.html", tmp_path, """() => ({
        rows: document.querySelectorAll('.req').length,
        statuses: Array.from(document.querySelectorAll('#summary-iso-42001 .status')).map(s => s.textContent),
        disclaimer: document.querySelector('#disclaimer').innerText})""")
    assert seen.data["rows"] == 15 and seen.data["statuses"][0] == "met"
    assert "not legal advice" in seen.data["disclaimer"].lower()
    assert not seen.console_errors and not [u for u in seen.requests if not u.startswith(("file:", "data:"))]
    assert seen.pdf is not None and seen.pdf.stat().st_size > 0


def test_without_a_framework_or_with_an_unknown_answer_it_is_exit_2(run_dir: Path, tmp_path: Path) -> None:
    proc = _cli(str(run_dir))
    assert proc.returncode == 2 and "name a framework" in proc.stderr
    bad = write_yaml(tmp_path / "a.yaml", {"reviewer": "J", "date": "d", "answers": {"gdpr": {}}})
    proc = _cli(str(run_dir), "--framework", "eu-ai-act", "--answers", str(bad))
    assert proc.returncode == 2 and "unknown framework 'gdpr'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_policy_can_ask_every_run_for_its_frameworks(tmp_path: Path) -> None:
    write_yaml(tmp_path / "bad.yaml", {"name": "p", "compliance": ["eu-ai-act", "sox"]})
    with pytest.raises(SpecError, match=MSG_UNKNOWN_FRAMEWORK.format(name="sox", available="eu-ai-act, nist-ai-rmf, "
                                                                                            "iso-42001")) as err:
        load_policy(tmp_path / "bad.yaml")
    assert err.value.field == "compliance[1]" and err.value.line == 4
    from rai_ft.pipeline import run

    write_yaml(tmp_path / "policy.yaml", {"name": "p", "compliance": ["nist-ai-rmf"], "checks": {"performance": {}}})
    (tmp_path / "spec_dir").mkdir()
    done = _run(tmp_path / "spec_dir")
    assert not (done / "compliance.json").exists()  # that policy lists none
    spec = tmp_path / "spec_dir" / "spec.yaml"
    shutil.copy(tmp_path / "policy.yaml", spec.parent / "policy.yaml")
    run_dir, _ = run(spec, output_root=tmp_path / "again", quiet=True)
    comp = json.loads((run_dir / "compliance.json").read_text())
    assert [f["framework"]["id"] for f in comp["frameworks"]] == ["nist-ai-rmf"]
    assert (run_dir / "compliance.html").is_file() and verify_run(run_dir) == []
