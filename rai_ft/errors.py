"""Typed errors and the one-line messages users see.

Every error a user can cause by their input (a spec, a policy, a data file) is a
:class:`SpecError` and maps to exit code 2. Error texts live here as module
constants so tests can match them exactly (the fairlearn way).
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "RaiFtError",
    "SpecError",
    "UnsupportedError",
    "MissingExtraError",
    "EXIT_PASS",
    "EXIT_GATE_FAILED",
    "EXIT_BAD_INPUT",
    "EXIT_RUNTIME",
    "MSG_UNKNOWN_KEY",
    "MSG_FILE_NOT_FOUND",
    "MSG_NOT_UTF8",
    "MSG_MISSING_COLUMN",
    "MSG_EMPTY_DATASET",
    "MSG_ONE_CLASS",
    "MSG_LABEL_NAN",
    "MSG_ONE_GROUP",
    "MSG_UNKNOWN_METRIC",
    "MSG_UNKNOWN_BUILTIN",
    "MSG_MISSING_EXTRA",
    "MSG_BAD_YAML",
    "MSG_UNSAFE_WEIGHTS",
    "MSG_MODEL_LOAD",
]

EXIT_PASS = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_RUNTIME = 3

MSG_UNKNOWN_KEY = "unknown key (check the spelling; allowed keys are listed in README)"
MSG_FILE_NOT_FOUND = "file not found: {path}"
MSG_NOT_UTF8 = "file is not valid UTF-8 (byte {position}); re-save it as UTF-8"
MSG_MISSING_COLUMN = "column {column!r} not found; available columns: {available}"
MSG_EMPTY_DATASET = "dataset has no rows"
MSG_ONE_CLASS = "label column {column!r} has only one class ({value!r}); a classifier needs at least two"
MSG_LABEL_NAN = "label column {column!r} has {count} missing value(s)"
MSG_ONE_GROUP = "sensitive column {column!r} has only one group ({value!r}); fairness needs at least two"
MSG_UNKNOWN_METRIC = "unknown metric {metric!r}{hint} (metrics are listed in README, 'Metrics a policy can threshold')"
MSG_UNKNOWN_BUILTIN = "unknown built-in {kind} {name!r}; available: {available}"
MSG_MISSING_EXTRA = "{feature} needs {package}: pip install 'rai-ft[{extra}]'"
MSG_BAD_YAML = "not valid YAML: {detail}"
MSG_UNSAFE_WEIGHTS = (
    "{path} has no safetensors weights; set model.allow_pickle: true to load pickled weights you trust"
)
MSG_MODEL_LOAD = "cannot load model {base!r}: {detail}"


class RaiFtError(Exception):
    """Base class of all rai-ft errors."""


class SpecError(RaiFtError, ValueError):
    """Bad user input: a spec, policy or data problem. Exit code 2.

    Args:
        message: What is wrong, in one line.
        file: The file the problem is in, if any.
        field: The field path (``data.label``) or column the problem is about.
    """

    def __init__(self, message: str, file: str | Path | None = None, field: str | None = None,
                 line: int | None = None) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.line = line
        super().__init__(self.one_line())

    def locate(self, file: str | Path, line: int | None = None) -> "SpecError":
        """Name the file (and line) when the error was raised without one; returns self for re-raising."""
        if self.file is None:
            self.file, self.line = str(file), line
            self.args = (self.one_line(),)
        return self

    def one_line(self) -> str:
        """Return ``file:line: field: message`` with the parts that are known."""
        where = f"{self.file}:{self.line}" if self.file and self.line else self.file
        parts = [p for p in (where, self.field) if p]
        return ": ".join(parts + [self.message])


class UnsupportedError(SpecError):
    """A combination rai-ft refuses before any work starts (exit code 2)."""


class MissingExtraError(SpecError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        super().__init__(MSG_MISSING_EXTRA.format(feature=feature, package=package, extra=extra))
