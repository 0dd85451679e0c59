"""``rai-ft verify``: recompute everything a run's ``integrity`` record pins and name every difference.

Checked: audit.json's content hash and, for a difference, which field changed; every file of the run directory
(changed, missing, or added since); report.html and model_card.md against a fresh rendering of audit.json; for an
``audit`` run, the weights of the audited model folder; the signature (with ``public_key``: only under that key);
an expected content hash (``expect``: the one printed on a report); and with ``data``, the spec, the policy and
the data files, read again the way the run read them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from rai_ft.data.loading import sha256_file
from rai_ft.errors import SpecError
from rai_ft.provenance import content_sha256, field_hashes, run_file_hashes
from rai_ft.record import AUDIT_FILE, read_audit

__all__ = ["verify_run", "summary", "MSG_NO_INTEGRITY", "MSG_BAD_PUBLIC_KEY", "MSG_BAD_EXPECT"]

MSG_NO_INTEGRITY = ("{path} has no integrity record (written by a rai-ft before provenance was recorded); "
                    "re-run the audit to seal it")
MSG_BAD_EXPECT = "--expect {expect!r}: give at least the first 12 hex characters of the content sha256"
MSG_BAD_PUBLIC_KEY = "--public-key {path}: not a PEM or raw Ed25519 public key ({detail})"


def _short(h: str | None) -> str:
    return (h or "none")[:12]


def _hash_line(name: str, now: str | None, recorded: str | None) -> str:
    return f"{name}: sha256 is {_short(now)}…, the record says {_short(recorded)}…"


def _record_differences(doc: dict[str, Any]) -> list[str]:
    """Which fields of audit.json differ from their sealed hashes (and the content hash)."""
    sealed = doc["integrity"]
    now = field_hashes(doc)
    out = [f"audit.json: {name} changed since the audit" for name in sorted(set(sealed["fields"]) | set(now))
           if sealed["fields"].get(name) != now.get(name)]
    digest = content_sha256(doc)
    if digest != sealed["content_sha256"]:
        recorded = _short(sealed["content_sha256"])
        out.append(f"audit.json: content sha256 is {_short(digest)}…, the record says {recorded}…"
                   + ("" if out else " (the integrity record itself was edited)"))
    return out


def _file_differences(run_dir: Path, sealed: dict[str, str]) -> list[str]:
    now = run_file_hashes(run_dir)
    out = []
    for name in sorted(set(sealed) | set(now)):
        if name not in now:
            out.append(f"{name}: missing (recorded {_short(sealed[name])}…)")
        elif name not in sealed:
            out.append(f"{name}: not in the record (added after the audit)")
        elif sealed[name] != now[name]:
            out.append(_hash_line(name, now[name], sealed[name]))
    return out


def _rendering_differences(run_dir: Path, doc: dict[str, Any]) -> list[str]:
    from rai_ft.render import CARD_FILE, REPORT_FILE, render_card, render_html

    out = []
    for name, render in ((REPORT_FILE, render_html), (CARD_FILE, render_card)):
        path = run_dir / name
        if not path.is_file():
            out.append(f"{name}: missing")
        elif path.read_text(encoding="utf-8") != render(doc):
            out.append(f"{name}: differs from what audit.json renders (edited, or rendered by another rai-ft "
                       "version: `rai-ft report RUN_DIR` renders it again)")
    return out


def _audited_model_differences(doc: dict[str, Any]) -> list[str]:
    """An ``audit`` run audited a model folder outside the run: its weights must still be the ones audited."""
    model = doc.get("model") or {}
    where = Path(str(model.get("dir") or ""))
    if doc.get("kind") != "audit" or not where.is_dir():
        return [] if doc.get("kind") != "audit" else [f"model folder {where}: not found (cannot check its weights)"]
    out = []
    for name, recorded in (model.get("weights_sha256") or {}).items():
        path = where / name
        now = sha256_file(path) if path.is_file() else None
        if now is None:
            out.append(f"{path}: missing")
        elif now != recorded:
            out.append(_hash_line(str(path), now, recorded))
    return out


def _public_key(path: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = Path(path).read_bytes()
        if raw.lstrip().startswith(b"-----"):
            key = serialization.load_pem_public_key(raw)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        decoded = base64.b64decode(raw.strip(), validate=True)
        if len(decoded) != 32:
            raise ValueError("expected 32 bytes")
        return decoded
    except (OSError, ValueError) as exc:
        raise SpecError(MSG_BAD_PUBLIC_KEY.format(path=path, detail=str(exc).splitlines()[0]),
                        field="--public-key") from None


def _signature_differences(doc: dict[str, Any], public_key: str | None) -> list[str]:
    from rai_ft.provenance import verify_signature

    sig = doc["integrity"].get("signature")
    if sig is None:
        return ["audit.json: not signed, and --public-key asks for a signature"] if public_key else []
    trusted = _public_key(public_key) if public_key else None
    if trusted is not None and base64.b64decode(sig["public_key"]) != trusted:
        return [f"audit.json: signed with key {sig['key_id']}, not with the key given by --public-key"]
    if not verify_signature(doc["integrity"]["content_sha256"], sig, trusted):
        return [f"audit.json: the signature (key {sig['key_id']}) does not match the content hash"]
    return []


def _input_differences(doc: dict[str, Any]) -> list[str]:
    """The spec, the policy and the data as the run read them (``--data``)."""
    from rai_ft.registry import task_of
    from rai_ft.validation import prepare

    out = []
    spec_hash = (((doc.get("integrity") or {}).get("inputs") or {}).get("spec") or {}).get("sha256")
    for label, path, recorded in (("spec", doc.get("spec_file"), spec_hash),
                                  ("policy", (doc.get("policy") or {}).get("file"),
                                   (doc.get("policy") or {}).get("sha256"))):
        if path and not Path(path).is_file():
            out.append(f"{label} {path}: missing")
        elif path and recorded and (now := sha256_file(path)) != recorded:
            out.append(_hash_line(f"{label} {path}", now, recorded))
    if out or not doc.get("spec_file"):
        return out or ["spec: the record names no spec file, so the data cannot be read again"]
    prep = prepare(doc["spec_file"])
    data = task_of(prep.spec).load_data(prep.spec)
    recorded_files = {f["path"]: f.get("sha256") for f in doc["data"].get("files", [])}
    now_files = {f["path"]: f.get("sha256") for f in data.files}
    for name in sorted(set(recorded_files) | set(now_files)):
        if recorded_files.get(name) != now_files.get(name):
            out.append(_hash_line(f"data {name}", now_files.get(name), recorded_files.get(name)))
    if data.fingerprint != doc["data"].get("fingerprint") and not out:
        out.append("data: the fingerprint of the splits differs from the record (the split or sampling changed)")
    return out


def verify_run(run_dir: str | Path, data: bool = False, expect: str | None = None,
               public_key: str | None = None) -> list[str]:
    """Every difference between *run_dir* and its integrity record, one line each (empty: intact)."""
    if expect is not None and (len(expect) < 12 or any(c not in "0123456789abcdefABCDEF" for c in expect)):
        raise SpecError(MSG_BAD_EXPECT.format(expect=expect), field="--expect")
    root = Path(run_dir)
    doc = read_audit(root / AUDIT_FILE if root.is_dir() else root)
    if not isinstance(doc.get("integrity"), dict):
        raise SpecError(MSG_NO_INTEGRITY.format(path=root / AUDIT_FILE), field="integrity")
    out = _record_differences(doc)
    if expect and not doc["integrity"]["content_sha256"].startswith(expect.lower()):
        out.append(f"audit.json: content sha256 is {_short(doc['integrity']['content_sha256'])}…, "
                   f"--expect says {expect}")
    out += _signature_differences(doc, public_key)
    out += _file_differences(root, doc["integrity"]["files"])
    out += _rendering_differences(root, doc)
    out += _audited_model_differences(doc)
    if data:
        out += _input_differences(doc)
    return out


def summary(run_dir: str | Path) -> dict[str, Any]:
    """What was verified, for the success line."""
    doc = json.loads((Path(run_dir) / AUDIT_FILE).read_text(encoding="utf-8"))
    sig = doc["integrity"].get("signature")
    return {"content_sha256": doc["integrity"]["content_sha256"], "files": len(doc["integrity"]["files"]),
            "signed_by": sig["key_id"] if sig else None}
