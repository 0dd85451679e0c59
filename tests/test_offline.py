"""The default path (training with the robustness guards, attacks, every report) opens no network connection."""

from __future__ import annotations

import socket

import pytest

from rai_ft.pipeline import run
from tests.conftest import spec_dict, write_yaml


def test_default_path_makes_no_network_access(tmp_path, tiny_model_dir, sentiment_csv, monkeypatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted in a test that forbids it")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    policy = write_yaml(tmp_path / "p.yaml", {
        "name": "offline", "guards": {"adversarial": {"clean_epochs": 1}, "augment": {}},
        "checks": {"robustness": {"max_examples": 20}, "attribution": {"max_examples": 2, "shap_max_evals": 100},
                   "fairness": {"min_group_size": 5}},
        "thresholds": [{"metric": "robustness.attack_success_rate", "max": 1.0}]})
    spec = write_yaml(tmp_path / "s.yaml", spec_dict(tiny_model_dir, sentiment_csv, policy))
    out, doc = run(spec, tmp_path / "reports", quiet=True)
    assert attempts == []
    assert {n: c["status"] for n, c in doc["checks"].items()} == {
        "performance": "ok", "fairness": "ok", "privacy": "ok", "data": "ok", "robustness": "ok", "attribution": "ok"}
    assert (out / "report.html").is_file() and (out / "model_card.md").is_file()
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80))  # the guard really is in place
