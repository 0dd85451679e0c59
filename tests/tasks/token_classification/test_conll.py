"""CoNLL/JSONL readers: layouts, -DOCSTART-, tag schemes to IOB2, and each bad input as a located SpecError."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rai_ft.errors import MSG_FILE_NOT_FOUND, MSG_NOT_UTF8, SpecError
from rai_ft.tasks.token_classification.conll import (
    MSG_BAD_FIELD,
    MSG_BAD_JSON,
    MSG_BAD_PREFIX,
    MSG_EMPTY_FILE,
    MSG_EMPTY_SENTENCE,
    MSG_LENGTH_MISMATCH,
    MSG_NO_TYPE,
    MSG_NOT_A_FILE,
    MSG_NOT_OBJECT,
    MSG_ONE_COLUMN,
    MSG_PLAIN_TAG,
    MSG_UNKNOWN_FORMAT,
    detect_scheme,
    read_conll,
    read_jsonl,
    read_tagged,
    to_iob2,
)


def _write(tmp_path: Path, text: str | bytes, name: str = "data.conll") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _raises(path: Path, message: str, line: int | None, reader=read_conll, field: str | None = None) -> None:
    """The reader refuses *path* with exactly *message*, naming the file and the line."""
    with pytest.raises(SpecError, match=re.escape(message)) as info:
        reader(path)
    assert info.value.file == str(path) and info.value.line == line and info.value.field == field
    assert info.value.message == message


def test_tabs_and_runs_of_spaces_read_alike(tmp_path: Path) -> None:
    tabs = read_conll(_write(tmp_path, "Empire\tB-loc\nState\tI-loc\nis\tO\n\nHi\tO\n", "a.conll"))
    spaces = read_conll(_write(tmp_path, "Empire   B-loc\nState \t I-loc\nis O\n\nHi  O\n", "b.conll"))
    assert tabs == spaces == [(["Empire", "State", "is"], ["B-loc", "I-loc", "O"]), (["Hi"], ["O"])]


def test_tag_is_the_last_column_and_token_the_first(tmp_path: Path) -> None:
    path = _write(tmp_path, "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n")
    assert read_conll(path) == [(["EU", "rejects"], ["B-ORG", "O"])]


def test_docstart_lines_and_the_blank_after_them_are_ignored(tmp_path: Path) -> None:
    text = "-DOCSTART- -X- O\n\nA\tB-per\n\n-DOCSTART- -X- O\n\n\nB\tO\nC\tO\n-DOCSTART- O\nD\tO\n"
    assert read_conll(_write(tmp_path, text)) == [(["A"], ["B-per"]), (["B", "C"], ["O", "O"]), (["D"], ["O"])]


def test_whitespace_only_lines_crlf_and_bom_separate_cleanly(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeffA\tO\r\n\t\r\n  \r\nB\tB-x\r\n\r\n\r\n")
    assert read_conll(path) == [(["A"], ["O"]), (["B"], ["B-x"])]


def test_unicode_line_separators_stay_inside_tokens(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\u2028b\tO\n\u00a0\tO\n")
    assert read_conll(path) == [(["a\u2028b", "\u00a0"], ["O", "O"])]


@pytest.mark.parametrize(("tags", "iob2"), [
    (["B-PER", "I-PER", "O", "B-LOC"], ["B-PER", "I-PER", "O", "B-LOC"]),
    (["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"], ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG"]),
    (["S-PER", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG", "S-ORG"],
     ["B-PER", "B-LOC", "I-LOC", "I-LOC", "O", "B-ORG", "B-ORG"]),
    (["B-X", "E-X", "E-X", "I-X", "S-X", "I-X"], ["B-X", "I-X", "B-X", "B-X", "B-X", "B-X"]),
], ids=["iob2-unchanged", "iob1", "iobes", "iobes-after-end"])
def test_each_scheme_becomes_iob2(tags: list[str], iob2: list[str]) -> None:
    assert to_iob2(tags) == iob2
    assert to_iob2(iob2) == iob2  # IOB2 is a fixed point


def test_iob1_i_continues_only_the_same_type() -> None:
    assert to_iob2(["I-A", "I-A", "I-B", "I-B", "O", "I-B"]) == ["B-A", "I-A", "B-B", "I-B", "O", "B-B"]


@pytest.mark.parametrize(("sequences", "scheme"), [
    ([["B-PER", "I-PER", "O"], ["O"]], "IOB2"),
    ([["B-PER", "I-PER"], ["O", "I-LOC"]], "IOB1"),
    ([["B-PER", "I-LOC"]], "IOB1"),
    ([["B-PER", "E-PER"], ["I-LOC"]], "IOBES"),
    ([["S-PER"]], "IOBES"),
    ([["O", "O"]], "IOB2"),
])
def test_detect_scheme(sequences: list[list[str]], scheme: str) -> None:
    assert detect_scheme(sequences) == scheme


def test_files_are_normalised_to_iob2_when_read(tmp_path: Path) -> None:
    iobes = read_conll(_write(tmp_path, "a\tS-x\nb\tB-y\nc\tE-y\n", "e.conll"))
    iob1 = read_jsonl(_write(tmp_path, json.dumps({"tokens": ["a", "b"], "tags": ["I-x", "I-x"]}), "e.jsonl"))
    assert iobes == [(["a", "b", "c"], ["B-x", "B-y", "I-y"])] and iob1 == [(["a", "b"], ["B-x", "I-x"])]


def test_one_column_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "A\tO\nlonely\nB\tO\n")
    _raises(path, MSG_ONE_COLUMN.format(text="lonely"), line=2)


@pytest.mark.parametrize("text", ["", "\n\n\t\n", "-DOCSTART- -X- O\n\n"])
def test_a_file_without_sentences_is_refused(tmp_path: Path, text: str) -> None:
    _raises(_write(tmp_path, text), MSG_EMPTY_FILE, line=None)


@pytest.mark.parametrize(("tag", "message"), [
    ("B-", MSG_NO_TYPE.format(tag="B-", prefix="B")),
    ("I", MSG_NO_TYPE.format(tag="I", prefix="I")),
    ("PER", MSG_PLAIN_TAG.format(tag="PER")),
    ("X-PER", MSG_BAD_PREFIX.format(tag="X-PER", prefix="X")),
    ("b-PER", MSG_BAD_PREFIX.format(tag="b-PER", prefix="b")),
])
def test_malformed_tags_are_refused_with_their_line(tmp_path: Path, tag: str, message: str) -> None:
    _raises(_write(tmp_path, f"A\tO\n\nB\tB-x\nC\t{tag}\n"), message, line=4)


def test_non_utf8_is_refused_with_byte_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "A\tO\n\nCaf\xe9\tO\n".encode("latin-1"))
    _raises(path, MSG_NOT_UTF8.format(position=8), line=3)
    _raises(_write(tmp_path, b"\xff\n", "b.jsonl"), MSG_NOT_UTF8.format(position=0), line=1, reader=read_jsonl)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    _raises(tmp_path / "nope.conll", MSG_FILE_NOT_FOUND.format(path=tmp_path / "nope.conll"), line=None)
    _raises(tmp_path, MSG_NOT_A_FILE.format(path=tmp_path), line=None)


def test_jsonl_reads_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    rows = [{"tokens": ["Hi", "Ann"], "tags": ["O", "B-person"], "id": 3}, {"tokens": ["x"], "tags": ["O"]}]
    path = _write(tmp_path, json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n", "d.jsonl")
    assert read_jsonl(path) == [(["Hi", "Ann"], ["O", "B-person"]), (["x"], ["O"])]


def test_jsonl_length_mismatch_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": ["a", "b"], "tags": ["O"]}\n', "d.jsonl")
    _raises(path, MSG_LENGTH_MISMATCH.format(tokens=2, tags=1), line=2, reader=read_jsonl, field="tags")


def test_invalid_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": ["a"], \n', "d.jsonl")
    _raises(path, MSG_BAD_JSON.format(detail="Expecting property name enclosed in double quotes (column 19)"),
            line=2, reader=read_jsonl)


@pytest.mark.parametrize(("line", "message", "field"), [
    ('["a"]', MSG_NOT_OBJECT.format(kind="list"), None),
    ('{"tags": ["O"]}', MSG_BAD_FIELD.format(name="tokens", problem="missing"), "tokens"),
    ('{"tokens": "ab", "tags": ["O"]}', MSG_BAD_FIELD.format(name="tokens", problem="got str"), "tokens"),
    ('{"tokens": ["a"], "tags": [1]}', MSG_BAD_FIELD.format(name="tags", problem="holds 1"), "tags"),
    ('{"tokens": [], "tags": []}', MSG_EMPTY_SENTENCE, "tokens"),
    ('{"tokens": ["a"], "tags": ["B-"]}', MSG_NO_TYPE.format(tag="B-", prefix="B"), "tags"),
])
def test_jsonl_shape_errors_name_line_and_field(tmp_path: Path, line: str, message: str, field: str | None) -> None:
    path = _write(tmp_path, '{"tokens": ["a"], "tags": ["O"]}\n' + line + "\n", "d.jsonl")
    _raises(path, message, line=2, reader=read_jsonl, field=field)


def test_read_tagged_picks_the_reader_by_suffix(tmp_path: Path) -> None:
    conll = _write(tmp_path, "a\tO\n", "d.txt")
    jsonl = _write(tmp_path, '{"tokens": ["a"], "tags": ["O"]}\n', "d.jsonl")
    assert read_tagged(conll) == read_tagged(jsonl) == [(["a"], ["O"])]
    _raises(_write(tmp_path, "a,O\n", "d.csv"), MSG_UNKNOWN_FORMAT.format(suffix=".csv"), line=None,
            reader=read_tagged)
