"""The package's layers: config is pure schema, the registries sit above what they register, and no module imports
itself back through another (no import circle, not even one hidden in a function or behind TYPE_CHECKING)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "rai_ft"
# packages that register into the registries, and what sits above them
REGISTERED = ("rai_ft.checks", "rai_ft.guards", "rai_ft.tasks")
ABOVE = ("rai_ft.registry", "rai_ft.validation", "rai_ft.pipeline", "rai_ft.cli", "rai_ft.gate", "rai_ft.mitigation",
         "rai_ft.audit_record")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every rai_ft module *path* imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rai_ft"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("rai_ft"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    return {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_module_imports_itself_back() -> None:
    graph = _graph()
    # a package's __init__ importing its own modules is the package, not a circle
    graph = {m: {n for n in deps if not (n.startswith(m + ".") and (ROOT.parent / m.replace(".", "/")).is_dir())}
             for m, deps in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_config_alone_imports_no_check_guard_or_registry() -> None:
    code = ("import sys, rai_ft.config; "
            f"print([m for m in sys.modules if m.startswith({REGISTERED + ABOVE!r})])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_config_imports_only_config_and_errors() -> None:
    for path in (ROOT / "config").glob("*.py"):
        bad = {i for i in _imports(path) if not i.startswith(("rai_ft.config", "rai_ft.errors"))}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_registered_packages_never_import_what_sits_above_them() -> None:
    for pkg in REGISTERED:
        for path in (ROOT / pkg.split(".")[1]).rglob("*.py") if (ROOT / pkg.split(".")[1]).is_dir() else ():
            bad = {i for i in _imports(path) if i.startswith(ABOVE)}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
