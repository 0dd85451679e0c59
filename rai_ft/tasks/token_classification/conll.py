"""Read token-tagged data (CoNLL columns or JSONL) and normalise its tags to IOB2.

A *sentence* is ``(tokens, tags)``: two lists of strings of the same length. Every reader fails closed
with a one-line :class:`~rai_ft.errors.SpecError` that names the file and the line (and, for JSONL,
the field); the message texts are the ``MSG_*`` constants below.

Tag rules (checked on every tag, whatever the scheme):

* ``O`` stands alone; any other tag is ``<prefix>-<type>`` with prefix ``B``, ``I``, ``E`` or ``S`` and a
  non-empty type (which may itself contain ``-``: ``B-creative-work``).
* A tag without a prefix (``PER``; IO tagging) is refused with :data:`MSG_PLAIN_TAG`: IO tags cannot mark
  two adjacent entities of one type, so guessing would change the gold standard silently. Convert to BIO.

Schemes (:func:`detect_scheme`) and their conversion to IOB2 (:func:`to_iob2`):

* IOBES/BIOES (any ``E-`` or ``S-`` tag): ``S-X`` -> ``B-X``, ``E-X`` -> ``I-X``, and a token after
  ``E-X``/``S-X`` that is not ``O`` starts a new entity.
* IOB1 (an ``I-X`` that starts an entity: first token, after ``O``, or after another type): ``I-X`` starts an
  entity unless the previous token has the same type X; ``B-X`` marks the start of a second adjacent entity
  of type X. The start becomes ``B-X``.
* IOB2 (otherwise): kept as it is.

One rule does all three, the conlleval/seqeval chunk start: a token starts an entity when its prefix is
``B``/``S``, or the previous token is ``O``/``E-``/``S-``, or the previous token's type differs. The output
is always valid IOB2 (every entity begins with ``B-``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rai_ft.errors import MSG_FILE_NOT_FOUND, MSG_NOT_UTF8, SpecError

__all__ = [
    "Sentence",
    "read_conll",
    "read_jsonl",
    "read_tagged",
    "read_text",
    "parse_conll",
    "parse_jsonl",
    "check_tag",
    "detect_scheme",
    "to_iob2",
    "DOCSTART",
    "MSG_ONE_COLUMN",
    "MSG_EMPTY_FILE",
    "MSG_NO_TYPE",
    "MSG_PLAIN_TAG",
    "MSG_BAD_PREFIX",
    "MSG_LENGTH_MISMATCH",
    "MSG_BAD_JSON",
    "MSG_NOT_OBJECT",
    "MSG_BAD_FIELD",
    "MSG_EMPTY_SENTENCE",
    "MSG_NOT_A_FILE",
    "MSG_UNKNOWN_FORMAT",
]

Sentence = tuple[list[str], list[str]]
DOCSTART = "-DOCSTART-"
PREFIXES = ("B", "I", "E", "S")

MSG_ONE_COLUMN = ("line has one column ({text!r}); a CoNLL line needs a token and its tag (last column), "
                  "separated by tabs or spaces")
MSG_EMPTY_FILE = "file has no sentences"
MSG_NO_TYPE = "tag {tag!r} has no entity type; write it as {prefix}-<type>, e.g. {prefix}-person"
MSG_PLAIN_TAG = ("tag {tag!r} has no B-/I-/E-/S- prefix; only 'O' stands alone (IO tags are not supported: "
                 "adjacent entities of one type cannot be told apart, so convert to BIO)")
MSG_BAD_PREFIX = "tag {tag!r} has the prefix {prefix!r}; expected B-, I-, E- or S- (or the tag O)"
MSG_LENGTH_MISMATCH = "{tokens} token(s) but {tags} tag(s); 'tokens' and 'tags' must have the same length"
MSG_BAD_JSON = "not valid JSON: {detail}"
MSG_NOT_OBJECT = "each line must be a JSON object with 'tokens' and 'tags', not {kind}"
MSG_BAD_FIELD = "{name!r} must be a list of strings ({problem})"
MSG_EMPTY_SENTENCE = "sentence has no tokens"
MSG_NOT_A_FILE = "{path} is a folder, not a file"
MSG_UNKNOWN_FORMAT = "unsupported file type {suffix!r}; use .conll, .txt, .tsv, .iob, .bio (CoNLL columns) or .jsonl"

_SEPARATOR = re.compile(r"[ \t]+")
_CONLL_SUFFIXES = (".conll", ".txt", ".tsv", ".iob", ".bio", ".conllu")


def read_text(path: str | Path) -> str:
    """A file's text, refusing a missing file, a folder or bytes that are not UTF-8 (a leading BOM is dropped)."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(MSG_NOT_A_FILE.format(path=path), file=path)
    if not path.is_file():
        raise SpecError(MSG_FILE_NOT_FOUND.format(path=path), file=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SpecError(MSG_NOT_UTF8.format(position=exc.start), file=path, line=line) from None
    return text.removeprefix("\ufeff")


def _lines(text: str) -> list[str]:
    """Lines split on newlines only (tweets hold U+2028 and friends inside tokens), without a trailing CR."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def check_tag(tag: str) -> tuple[str, str]:
    """``(prefix, type)`` of a tag (``("O", "")`` for ``O``); raises a SpecError without a location otherwise."""
    if tag == "O":
        return "O", ""
    prefix, dash, kind = tag.partition("-")
    if not dash:
        if tag in PREFIXES:
            raise SpecError(MSG_NO_TYPE.format(tag=tag, prefix=tag))
        raise SpecError(MSG_PLAIN_TAG.format(tag=tag))
    if prefix not in PREFIXES:
        raise SpecError(MSG_BAD_PREFIX.format(tag=tag, prefix=prefix))
    if not kind.strip():
        raise SpecError(MSG_NO_TYPE.format(tag=tag, prefix=prefix))
    return prefix, kind


def _checked(tag: str, where: str | Path, line: int, field: str | None = None) -> str:
    """*tag* if it is well formed; otherwise the error, located at *where*:*line*."""
    try:
        check_tag(tag)
    except SpecError as exc:
        exc.field = field
        raise exc.locate(where, line) from None
    return tag


def parse_conll(text: str, where: str | Path) -> list[Sentence]:
    """Sentences from CoNLL text (token in the first column, tag in the last), tags normalised to IOB2.

    A line of spaces/tabs only ends a sentence; a ``-DOCSTART-`` line is skipped and ends the sentence
    before it. *where* names the source in errors.
    """
    raw: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(_lines(text), 1):
        stripped = line.strip(" \t")
        columns = _SEPARATOR.split(stripped) if stripped else []
        if not columns or columns[0] == DOCSTART:
            if tokens:
                raw.append((tokens, tags))
            tokens, tags = [], []
            continue
        if len(columns) == 1:
            raise SpecError(MSG_ONE_COLUMN.format(text=stripped), file=where, line=number)
        tokens.append(columns[0])
        tags.append(_checked(columns[-1], where, number))
    if tokens:
        raw.append((tokens, tags))
    return _normalised(raw, where)


def _string_list(obj: dict[str, Any], name: str, where: str | Path, line: int) -> list[str]:
    value: Any = obj.get(name)
    problem = None
    if name not in obj:
        problem = "missing"
    elif not isinstance(value, list):
        problem = f"got {type(value).__name__}"
    elif not all(isinstance(v, str) for v in value):
        bad = next(v for v in value if not isinstance(v, str))
        problem = f"holds {bad!r}"
    if problem:
        raise SpecError(MSG_BAD_FIELD.format(name=name, problem=problem), file=where, line=line, field=name)
    return list(value)


def _json_sentence(line: str, where: str | Path, number: int) -> Sentence:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SpecError(MSG_BAD_JSON.format(detail=f"{exc.msg} (column {exc.colno})"), file=where,
                        line=number) from None
    if not isinstance(obj, dict):
        raise SpecError(MSG_NOT_OBJECT.format(kind=type(obj).__name__), file=where, line=number)
    tokens = _string_list(obj, "tokens", where, number)
    tags = _string_list(obj, "tags", where, number)
    if len(tokens) != len(tags):
        raise SpecError(MSG_LENGTH_MISMATCH.format(tokens=len(tokens), tags=len(tags)), file=where, line=number,
                        field="tags")
    if not tokens:
        raise SpecError(MSG_EMPTY_SENTENCE, file=where, line=number, field="tokens")
    return tokens, [_checked(tag, where, number, "tags") for tag in tags]


def parse_jsonl(text: str, where: str | Path) -> list[Sentence]:
    """Sentences from JSON lines ``{"tokens": [...], "tags": [...]}`` (blank lines skipped), tags as IOB2."""
    raw = [_json_sentence(line, where, n) for n, line in enumerate(_lines(text), 1) if line.strip()]
    return _normalised(raw, where)


def _normalised(raw: list[Sentence], where: str | Path) -> list[Sentence]:
    if not raw:
        raise SpecError(MSG_EMPTY_FILE, file=where)
    return [(tokens, to_iob2(tags)) for tokens, tags in raw]


def read_conll(path: str | Path) -> list[Sentence]:
    """Sentences of a CoNLL-style file (see :func:`parse_conll`)."""
    return parse_conll(read_text(path), path)


def read_jsonl(path: str | Path) -> list[Sentence]:
    """Sentences of a JSONL file (see :func:`parse_jsonl`)."""
    return parse_jsonl(read_text(path), path)


def read_tagged(path: str | Path) -> list[Sentence]:
    """Sentences of a ``.jsonl`` file or a CoNLL-style file (``.conll``, ``.txt``, ``.tsv``, ``.iob``, ``.bio``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        return read_jsonl(path)
    if suffix in _CONLL_SUFFIXES:
        return read_conll(path)
    raise SpecError(MSG_UNKNOWN_FORMAT.format(suffix=suffix), file=path)


def detect_scheme(tag_sequences: list[list[str]]) -> str:
    """``"IOBES"`` if any tag is ``E-``/``S-``; ``"IOB1"`` if an ``I-`` tag starts an entity; else ``"IOB2"``."""
    iob1 = False
    for tags in tag_sequences:
        prev = ("O", "")
        for tag in tags:
            prefix, kind = check_tag(tag)
            if prefix in ("E", "S"):
                return "IOBES"
            iob1 = iob1 or (prefix == "I" and (prev[0] == "O" or prev[1] != kind))
            prev = (prefix, kind)
    return "IOB1" if iob1 else "IOB2"


def to_iob2(tags: list[str]) -> list[str]:
    """One sentence's tags (IOB1, IOB2 or IOBES) as IOB2, by the chunk-start rule in the module docstring."""
    out: list[str] = []
    prev_prefix, prev_kind = "O", ""
    for tag in tags:
        prefix, kind = check_tag(tag)
        if prefix == "O":
            out.append("O")
        else:
            starts = prefix in ("B", "S") or prev_prefix in ("O", "E", "S") or prev_kind != kind
            out.append(f"{'B' if starts else 'I'}-{kind}")
        prev_prefix, prev_kind = prefix, kind
    return out
