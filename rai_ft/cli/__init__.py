"""The ``rai-ft`` command: one module per subcommand, each with ``add_parser`` and ``handle``.

Exit codes: 0 pass (or warn), 1 gate failed, 2 bad input or spec, 3 runtime error.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import threading
import traceback
import warnings
from types import ModuleType
from typing import Any, Iterator, NoReturn

from rai_ft import __version__
from rai_ft.errors import EXIT_BAD_INPUT, EXIT_GATE_FAILED, EXIT_PASS, EXIT_RUNTIME, MSG_DISK_FULL, SpecError

__all__ = ["main", "build_parser", "COMMANDS"]


def _commands() -> dict[str, ModuleType]:
    from rai_ft.cli import audit, compliance, gate, init, report, run, validate, verify

    return {"run": run, "audit": audit, "gate": gate, "report": report, "validate": validate, "init": init,
            "compliance": compliance, "verify": verify}


COMMANDS = ("run", "audit", "gate", "report", "validate", "init", "compliance", "verify")


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors are one line too (``rai-ft: error: ...``), exit 2; ``--help`` shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"rai-ft: error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _OneLineParser(
        prog="rai-ft",
        description="Fine-tune transformer models under guard and audit them before they ship.",
        epilog="Exit codes: 0 pass or warn, 1 gate failed, 2 bad input/spec, 3 runtime error.",
    )
    parser.add_argument("--version", action="version", version=f"rai-ft {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _commands().items():
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    handler = _commands()[args.command].handle
    with _sigterm_as_interrupt(), warnings.catch_warnings(record=True) as caught:
        code = _handle(handler, args)
    if code in (EXIT_PASS, EXIT_GATE_FAILED):  # a command that ran shows its warnings; an error is one line only
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return code


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every staging folder is cleaned up on the way out."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _handle(handler: Any, args: argparse.Namespace) -> int:
    """Run one subcommand; every failure becomes one line on stderr and an exit code."""
    try:
        return handler(args)
    except SpecError as exc:
        print(f"rai-ft: error: {exc.one_line()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        print(f"rai-ft: {what}; no report was written", file=sys.stderr)
        return EXIT_RUNTIME
    except Exception as exc:  # noqa: BLE001 - the CLI turns any crash into exit 3 with one line
        if args.debug:
            traceback.print_exc()
        full = _disk_full(exc)
        if full is not None:
            print(f"rai-ft: runtime error: {MSG_DISK_FULL.format(path=full)}", file=sys.stderr)
        else:
            print(f"rai-ft: runtime error: {_last_line(exc)} (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_RUNTIME


def _disk_full(exc: BaseException | None) -> str | None:
    """Where a write failed for want of space (ENOSPC, also as wrapped by safetensors/torch), else None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in str(exc):
            return str(getattr(exc, "filename", None) or "the run directory")
        exc = exc.__cause__ or exc.__context__
    return None


def _last_line(exc: BaseException) -> str:
    """The exception as one line (type and the first line of its message)."""
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
