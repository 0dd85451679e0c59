"""Read YAML files into pydantic models, turning every problem into a one-line :class:`SpecError`."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from rai_ft.errors import MSG_BAD_YAML, MSG_DUPLICATE_KEY, MSG_FILE_NOT_FOUND, MSG_NOT_UTF8, MSG_UNKNOWN_KEY, SpecError

__all__ = ["StrictModel", "read_yaml", "load_model_file", "validation_error_to_spec_error", "in_spec", "yaml_line",
           "loc_to_path", "known_names", "MSG_UNKNOWN_NAMES"]

MSG_UNKNOWN_NAMES = "unknown {what} {names}; available: {available}"

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, never silently ignored; numbers must be finite."""

    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def known_names(values: list[str], known: Any, what: str) -> list[str]:
    """*values* when each is a key of *known*; else a ValueError naming the unknown ones (for field validators)."""
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(MSG_UNKNOWN_NAMES.format(what=what, names=unknown, available=", ".join(known)))
    return values


def _duplicate_key(node: yaml.Node, path: tuple[Any, ...] = ()) -> tuple[str, int, int] | None:
    """(field path, first line, second line) of the first key that appears twice in one mapping, or None."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if key.value in seen:
                    return loc_to_path(path + (key.value,)), seen[key.value], line
                seen[key.value] = line
            found = _duplicate_key(value, path + (getattr(key, "value", "?"),))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_key(item, path + (i,))
            if found:
                return found
    return None


def _refuse_duplicate_keys(text: str, path: Path) -> None:
    """YAML keeps the last of two equal keys silently; rai-ft refuses them, naming both lines."""
    found = _duplicate_key(yaml.compose(text, Loader=yaml.SafeLoader))
    if found:
        field, first, second = found
        raise SpecError(MSG_DUPLICATE_KEY.format(first=first, second=second), file=path, field=field, line=second)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping from *path*.

    Raises:
        SpecError: the file is missing, not UTF-8, not YAML, or not a mapping.
    """
    p = Path(path)
    if p.is_dir():
        raise SpecError("a folder, not a YAML file", file=p)
    if not p.is_file():
        raise SpecError(MSG_FILE_NOT_FOUND.format(path=p), file=p)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(MSG_NOT_UTF8.format(position=exc.start), file=p) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(MSG_BAD_YAML.format(detail=f"{where}{problem}"), file=p) from None
    _refuse_duplicate_keys(text, p)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError("top level must be a mapping of keys to values", file=p)
    return data


def loc_to_path(loc: tuple[Any, ...]) -> str:
    """A pydantic location as a field path: ``thresholds[1].metric``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def yaml_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the node at *loc* (keys and list indices) in YAML *text*; the deepest found."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def validation_error_to_spec_error(exc: ValidationError, file: str | Path | None,
                                   text: str | None = None) -> SpecError:
    """Turn the first pydantic error into a one-line SpecError naming the field path (and YAML line)."""
    errors = exc.errors()
    first = errors[0]
    # Discriminated unions put the tag in the location (adapter.lora.r); drop tags that are not keys.
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    field = loc_to_path(loc) or None
    if first["type"] == "extra_forbidden":
        message = MSG_UNKNOWN_KEY
    elif first["type"] == "missing":
        message = "required field is missing"
    else:
        message = first["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
    more = len(errors) - 1
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    line = yaml_line(text, loc) if text is not None else None
    return SpecError(message, file=file, field=field, line=line)


def load_model_file(path: str | Path, model: type[M]) -> M:
    """Read *path* as YAML and validate it as *model*."""
    data = read_yaml(path)
    try:
        return model.model_validate(data, context={"file": str(path)})
    except ValidationError as exc:
        text = Path(path).read_text(encoding="utf-8")
        raise validation_error_to_spec_error(exc, path, text) from None


@contextlib.contextmanager
def in_spec(spec: Any) -> Iterator[None]:
    """Name *spec*'s file and the line of the error's field when a SpecError names no file (nor a CLI flag)."""
    try:
        yield
    except SpecError as err:
        if err.file is None and spec.source_file and not (err.field or "").startswith("--"):
            loc = tuple(err.field.split(".")) if err.field else ()
            try:
                text = Path(spec.source_file).read_text(encoding="utf-8")
            except OSError:
                text = None
            raise err.locate(spec.source_file, yaml_line(text, loc) if loc and text else None) from None
        raise
