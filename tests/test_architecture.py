"""The package layout is the data flow: a folder imports only folders to its left."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "argonet"
ORDER = ["conf", "sim", "io", "data", "models", "eval", "tasks", "train", "recipes", "serve", "cli"]
SHARED = {"errors", "units", "event", "__init__"}
NO_TORCH = {"conf", "sim", "io"}


def _imports(path: Path) -> set[str]:
    """Top-level argonet sub-packages and external roots imported by a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        yield rel.parts[0].removesuffix(".py"), path


def test_layers_import_only_to_their_left():
    bad = []
    for folder, path in _modules():
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "argonet" or len(parts) < 2 or parts[1] in SHARED:
                continue
            target = parts[1]
            if folder == "viz":
                if target not in ("viz",):
                    bad.append(f"{path.relative_to(PACKAGE)} imports {name} (viz takes arrays, not library objects)")
                continue
            if folder in SHARED:
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
                continue
            if target == "viz" and folder in ("recipes", "serve", "cli"):
                continue
            if folder in ORDER and target in ORDER and ORDER.index(target) > ORDER.index(folder):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name} (backwards)")
    assert not bad, "\n".join(bad)


def test_simulation_and_io_do_not_import_torch():
    bad = [f"{p.relative_to(PACKAGE)}" for folder, p in _modules()
           if folder in NO_TORCH and any(n.split(".")[0] == "torch" for n in _imports(p))]
    assert not bad, f"torch imported in numpy-only layers: {bad}"


def test_modules_stay_readable():
    long = [f"{p.relative_to(PACKAGE)}: {n} lines" for _, p in _modules()
            if (n := len(p.read_text().splitlines())) > 450]
    assert not long, f"modules over 450 lines: {long}"
