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
    "MSG_DUPLICATE_KEY",
    "MSG_OUTPUT_IS_FILE",
    "MSG_NOT_WRITABLE",
    "MSG_LEDGER_CORRUPT",
    "MSG_MODEL_NOT_FOUND",
    "MSG_MODEL_IS_FILE",
    "MSG_MODEL_EMPTY",
    "MSG_MODEL_RUN_DIR",
    "MSG_MODEL_NO_CONFIG",
    "MSG_MODEL_NO_WEIGHTS",
    "MSG_MODEL_BAD_FILE",
    "MSG_HUB_OFFLINE",
    "MSG_MAX_LENGTH",
    "MSG_TOO_FEW_ROWS",
    "MSG_TOO_MANY_LABELS",
    "MSG_EMPTY_TEXT",
    "MSG_IS_A_DIRECTORY",
    "MSG_DISK_FULL",
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
MSG_OUTPUT_IS_FILE = "{path} is a file; {flag} needs a folder"
MSG_NOT_WRITABLE = "cannot write to {path}: {reason}"
MSG_LEDGER_CORRUPT = ("privacy ledger is corrupt ({detail}); it records the ε spent on each data set, so repair or "
                      "move it rather than train past it")
MSG_MODEL_NOT_FOUND = "model folder not found: {path}"
MSG_MODEL_IS_FILE = "{path} is a file, not a model folder"
MSG_MODEL_EMPTY = "{path} is an empty folder; a model folder holds config.json and *.safetensors weights"
MSG_MODEL_RUN_DIR = "{path} is a run directory, not a model folder; point at its model folder: {model}"
MSG_MODEL_NO_CONFIG = "{path} has no config.json (nor adapter_config.json); not a Hugging Face model folder"
MSG_MODEL_NO_WEIGHTS = "{path} has no weights (*.safetensors)"
MSG_MODEL_BAD_FILE = "{path} is corrupt: {detail}"
MSG_HUB_OFFLINE = ("{base!r} is neither a local folder nor in the Hugging Face cache, and the hub cannot be used "
                   "({why}); download it while online or give a local model folder")
MSG_MAX_LENGTH = "{value} exceeds the model's position limit of {limit} tokens ({source})"
MSG_TOO_FEW_ROWS = ("{n} row(s) are too few for the splits (validation {validation:g}, test {test:g}): train, "
                    "validation and test each need at least {need} row(s), one per label, so the data needs at "
                    "least {total} rows")
MSG_TOO_MANY_LABELS = ("label column {column!r} has {count} distinct values in {rows} rows; is it an id column? "
                       "(at most {limit} labels, and on average at least 2 rows per label)")
MSG_EMPTY_TEXT = "text column {column!r} is empty in every row"
MSG_IS_A_DIRECTORY = "{path} is a directory; {flag} needs a file name"
MSG_DISK_FULL = "no space left on device writing {path}; nothing partial was kept"
MSG_DUPLICATE_KEY = "duplicate key (first on line {first}, again on line {second}); YAML would keep the last silently"


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
