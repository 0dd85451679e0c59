"""Find and mask personal data (PII) in text: e-mails, phone numbers, payment cards, IBANs, IPs, US SSNs.

Detectors are regular expressions with validators (Luhn for cards, ISO 13616 mod-97 for IBANs, digit counts
for phones) so that ordinary numbers in text are not reported. Registered explicitly in ``DETECTORS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = ["Detector", "DETECTORS", "find_pii", "mask_value", "mask_spans", "mask_strings", "redact", "scan_texts",
           "redact_tokens"]


@dataclass(frozen=True)
class Detector:
    """One PII type: a pattern, an optional validator, and the placeholder used when redacting."""

    name: str
    pattern: re.Pattern[str]
    placeholder: str
    valid: Callable[[str], bool] = lambda s: True


def _luhn(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def _iban(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _phone(value: str) -> bool:
    return 9 <= sum(c.isdigit() for c in value) <= 15


DETECTORS: tuple[Detector, ...] = (
    Detector("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), "[EMAIL]"),
    Detector("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), "[IBAN]", _iban),
    Detector("credit_card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[CARD]", _luhn),
    Detector("us_ssn", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[SSN]"),
    Detector("ip_address", re.compile(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"), "[IP]"),
    # international (+CC …) or North-American (555) 123-4567 / 555-123-4567 forms; bare digit runs are not phones
    Detector("phone", re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\w)"
                                 r"|(?<![\w(])(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\w)"), "[PHONE]", _phone),
)


_PLACEHOLDERS = {d.name: d.placeholder for d in DETECTORS}


def find_pii(text: str, types: set[str] | None = None) -> list[tuple[str, int, int]]:
    """Non-overlapping (type, start, end) spans; earlier detectors win overlaps."""
    spans: list[tuple[str, int, int]] = []
    for det in DETECTORS:
        if types is not None and det.name not in types:
            continue
        for m in det.pattern.finditer(text):
            if not det.valid(m.group()):
                continue
            if any(s < m.end() and m.start() < e for _, s, e in spans):
                continue
            spans.append((det.name, m.start(), m.end()))
    return sorted(spans, key=lambda t: t[1])


def mask_value(value: str) -> str:
    """Show only the first and last character: ``jane@x.org`` -> ``j********g``."""
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def redact(text: str, types: set[str] | None = None) -> tuple[str, dict[str, int]]:
    """Replace every PII span (of *types*, default all) by its placeholder; return the text and counts per type."""
    counts: dict[str, int] = {}
    out, last = [], 0
    for kind, start, end in find_pii(text, types):
        out.append(text[last:start])
        out.append(_PLACEHOLDERS[kind])
        counts[kind] = counts.get(kind, 0) + 1
        last = end
    out.append(text[last:])
    return "".join(out), counts


def redact_tokens(tokens: list[str], types: set[str] | None = None) -> tuple[list[str], dict[str, int]]:
    """*tokens* with every token that overlaps a PII span (found in the tokens joined by spaces, so a phone number
    written over several tokens is found too) replaced by the span's placeholder: one per token, so per-token tags
    stay aligned. Returns the tokens and the spans found per type."""
    text, starts, pos = " ".join(tokens), [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    out, counts = list(tokens), dict[str, int]()
    for kind, start, end in find_pii(text, types):
        counts[kind] = counts.get(kind, 0) + 1
        for i, s in enumerate(starts):
            if s < end and s + len(tokens[i]) > start:
                out[i] = _PLACEHOLDERS[kind]
    return out, counts


def mask_spans(text: str) -> str:
    """*text* with every PII span shown as ``[type: j******g]`` (first and last character only)."""
    out, last = [], 0
    for kind, start, end in find_pii(text):
        out += [text[last:start], f"[{kind}: {mask_value(text[start:end])}]"]
        last = end
    return "".join(out) + text[last:]


def mask_strings(obj: Any) -> Any:
    """Every string inside *obj* (dicts, lists) with its PII masked: the last guard before anything is written."""
    if isinstance(obj, str):
        return mask_spans(obj)
    if isinstance(obj, dict):
        return {k: mask_strings(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(v, str) for v in obj):
            return _mask_words(list(obj))
        return [mask_strings(v) for v in obj]
    return obj


def _mask_words(words: list[str]) -> list[str]:
    """A word list (tokens of one text): mask each word alone, and blank every word of a span that crosses words
    (a card number split into four words would otherwise pass word by word)."""
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    joined = " ".join(words)
    out = [mask_spans(w) for w in words]
    for _, start, end in find_pii(joined):
        for i, (w, at) in enumerate(zip(words, starts)):
            if at < end and start < at + len(w):
                out[i] = "*" * len(w)
    return out


def _snippet(text: str, spans: list[tuple[str, int, int]], context: int) -> str:
    """A window around the first span, widened so no span is cut at its edge; every span in it masked."""
    lo, hi = max(0, spans[0][1] - context), min(len(text), spans[0][2] + context)
    for _, start, end in spans:  # spans are sorted: widen over any span that straddles an edge
        if start < lo < end:
            lo = start
        if start < hi < end:
            hi = end
    return ("…" if lo else "") + mask_spans(text[lo:hi]) + ("…" if hi < len(text) else "")


def scan_texts(texts: Iterable[str], max_examples: int = 5, context: int = 30) -> dict:
    """Counts per type, texts affected, and a few snippets for the report with every PII span in them masked."""
    counts: dict[str, int] = {d.name: 0 for d in DETECTORS}
    affected, n = 0, 0
    examples: list[dict[str, Any]] = []
    for text in texts:
        n += 1
        spans = find_pii(text)
        if not spans:
            continue
        affected += 1
        for kind, _, _ in spans:
            counts[kind] += 1
        if len(examples) < max_examples:
            examples.append({"type": spans[0][0], "snippet": _snippet(text, spans, context)})
    return {"texts_scanned": n, "texts_with_pii": affected, "counts": counts, "examples": examples}
