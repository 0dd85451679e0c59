"""Tamper-evident provenance: what ``audit.json`` records of its run so ``rai-ft verify`` can tell any change.

At write time (:func:`seal`) ``audit.json`` gets an ``integrity`` section:

* ``files``: the sha256 of every file in the run directory (model weights, tokenizer or image processor, fitted
  thresholds, …) except the outputs, which are drawn from audit.json;
* ``inputs``: the spec file's sha256 (the policy's and the data files' are already in ``policy`` and ``data``);
* ``fields``: the sha256 of every top-level field of audit.json and of every key inside a top-level object
  (``metrics.performance.accuracy``, ``checks.fairness`` …), so a change is named, not just detected;
* ``content_sha256``: the sha256 of the whole record in canonical JSON (sorted keys, no spaces), ``integrity``
  included but for this hash and the signature. The report and the card print it, so a printed report can be
  matched to its run (``rai-ft verify RUN_DIR --expect HASH``);
* ``signature`` (optional): an Ed25519 signature of ``content_sha256`` with the key in the PEM file that
  ``RAI_FT_SIGNING_KEY`` names, and the public key. A signature proves who sealed the record only to a verifier who
  already trusts that public key (``rai-ft verify --public-key``); without one, anybody able to rewrite every hash
  can rewrite the record, so publish the content hash where the run cannot reach it (a CI log, a ticket).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from rai_ft.data.loading import sha256_file
from rai_ft.errors import MissingExtraError, SpecError

__all__ = ["seal", "content_sha256", "field_hashes", "run_file_hashes", "OUTPUT_FILES", "SIGNING_KEY_ENV",
           "MSG_BAD_KEY", "sign", "verify_signature"]

OUTPUT_FILES = ("audit.json", "report.html", "model_card.md", "compliance.json", "compliance.html")
SIGNING_KEY_ENV = "RAI_FT_SIGNING_KEY"
MSG_BAD_KEY = "cannot read an Ed25519 private key from {path} (${env}): {detail}"
UNSEALED = ("content_sha256", "signature")  # the parts of ``integrity`` its own hash cannot cover


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _sha(obj: Any) -> str:
    return hashlib.sha256(_canonical(obj)).hexdigest()


def run_file_hashes(run_dir: Path) -> dict[str, str]:
    """sha256 of every file under *run_dir* but the outputs, by path relative to it ("/"-separated)."""
    return {p.relative_to(run_dir).as_posix(): sha256_file(p) for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.relative_to(run_dir).as_posix() not in OUTPUT_FILES}


def field_hashes(doc: dict[str, Any]) -> dict[str, str]:
    """sha256 of each top-level field and of each key of a top-level object (``integrity`` left out)."""
    out = {}
    for key, value in doc.items():
        if key == "integrity":
            continue
        out[key] = _sha(value)
        if isinstance(value, dict):
            out.update({f"{key}.{k}": _sha(v) for k, v in value.items()})
    return out


def content_sha256(doc: dict[str, Any]) -> str:
    """The record's hash: canonical JSON of *doc* with ``integrity`` but without its hash and signature."""
    integrity = {k: v for k, v in (doc.get("integrity") or {}).items() if k not in UNSEALED}
    return _sha({**doc, "integrity": integrity})


def sign(digest: str, key_path: str) -> dict[str, str]:
    """An Ed25519 signature of *digest* (hex text) with the PEM private key at *key_path*, and its public key."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        raise MissingExtraError("signing audit records", "cryptography", "sign") from None
    try:
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SpecError(MSG_BAD_KEY.format(path=key_path, env=SIGNING_KEY_ENV, detail=str(exc).splitlines()[0]),
                        field=SIGNING_KEY_ENV) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SpecError(MSG_BAD_KEY.format(path=key_path, env=SIGNING_KEY_ENV, detail="not an Ed25519 key"),
                        field=SIGNING_KEY_ENV)
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"algorithm": "ed25519", "signed": "content_sha256",
            "value": base64.b64encode(key.sign(digest.encode())).decode(),
            "public_key": base64.b64encode(public).decode(),
            "key_id": hashlib.sha256(public).hexdigest()[:16]}


def verify_signature(digest: str, signature: dict[str, str], public_key: bytes | None = None) -> bool:
    """True when *signature* signs *digest* under *public_key* (raw 32 bytes; None: the one recorded)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise MissingExtraError("checking a signed audit record", "cryptography", "sign") from None

    raw = public_key if public_key is not None else base64.b64decode(signature["public_key"])
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(signature["value"]), digest.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def seal(doc: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """*doc* with its ``integrity`` section (files of *run_dir*, field hashes, content hash, signature if a key is
    set)."""
    doc = {k: v for k, v in doc.items() if k != "integrity"}
    doc["integrity"] = {"algorithm": "sha256", "files": run_file_hashes(run_dir), "fields": field_hashes(doc)}
    spec_file = doc.get("spec_file")
    if spec_file and Path(spec_file).is_file():
        doc["integrity"]["inputs"] = {"spec": {"path": str(spec_file), "sha256": sha256_file(spec_file)}}
    digest = content_sha256(doc)
    doc["integrity"]["content_sha256"] = digest
    key = os.environ.get(SIGNING_KEY_ENV)
    if key:
        doc["integrity"]["signature"] = sign(digest, key)
    return doc
