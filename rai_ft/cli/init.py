"""``rai-ft init [DIR]``: scaffold audits/ and policies/ with commented examples."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from rai_ft.errors import EXIT_PASS, SpecError

__all__ = ["add_parser", "handle", "scaffold"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser("init", help="scaffold audits/ and policies/ with commented examples",
                       description="Write audits/example.yaml and policies/{default,strict,private}.yaml into DIR "
                                   "(default: the current folder). Existing files are kept unless --force.")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR")
    p.add_argument("--force", action="store_true", help="overwrite existing files")


def scaffold(root: Path, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Copy the templates; return (written, kept) paths."""
    written, kept = [], []
    base = resources.files("rai_ft") / "templates"
    for folder in ("audits", "policies"):
        for item in sorted(base.joinpath(folder).iterdir(), key=lambda t: t.name):
            if not item.name.endswith(".yaml"):
                continue
            target = root / folder / item.name
            if target.exists() and not force:
                kept.append(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
            written.append(target)
    (root / "reports").mkdir(exist_ok=True)
    return written, kept


def handle(args: argparse.Namespace) -> int:
    """Scaffold and say what to do next."""
    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        raise SpecError("not a folder", file=root)
    from rai_ft.preflight import check_output

    check_output(root, "DIR")
    written, kept = scaffold(root, args.force)
    for p in written:
        print(f"wrote  {p}")
    for p in kept:
        print(f"kept   {p} (exists; --force overwrites)")
    example = root / "audits" / "example.yaml"
    print(f"next:  rai-ft validate {example}  &&  rai-ft run {example}")
    return EXIT_PASS
