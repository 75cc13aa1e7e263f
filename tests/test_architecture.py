"""The package layout is the data flow: a folder imports only folders to its left.

Each rule is a function of a source tree (relative path → text), run on the package itself and on
a small planted tree that breaks it, so a rule that stops catching its violation fails here too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "argonet"
ORDER = ["conf", "sim", "io", "data", "models", "eval", "tasks", "train", "recipes", "serve", "cli"]
SHARED = {"errors", "units", "event", "__init__"}
DRAWING = "viz"                                   # takes arrays; drawn with by these layers only:
DRAWS = {"train", "recipes", "serve", "cli"}        # train: the run folder's training_curves.png
KNOWN = set(ORDER) | SHARED | {DRAWING}
NO_TORCH = {"conf", "sim", "io"}
NO_FILES = {"conf", "sim"}                        # h5py belongs to io
CLI_MAX_LINES = 120
MODULE_MAX_LINES = 450
CLI_ENTRY = {"cli/main.py", "cli/__main__.py"}    # the entry point loads the commands

Tree = dict[str, str]                             # "io/larcv3_read.py" → source text


def package_tree() -> Tree:
    """Every module of the installed source tree."""
    return {str(p.relative_to(PACKAGE)): p.read_text() for p in sorted(PACKAGE.rglob("*.py"))}


def module_name(rel: str) -> str:
    """'io/larcv3_read.py' → 'argonet.io.larcv3_read'; a package's __init__ is the package."""
    parts = ["argonet", *Path(rel).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_nodes(rel: str, text: str) -> Iterator[tuple[str, list[str]]]:
    """(module, imported names) per import statement anywhere in a module; relative imports resolved."""
    package = module_name(rel).split(".") if rel.endswith("__init__.py") else module_name(rel).split(".")[:-1]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            yield from ((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            yield module, [a.name for a in node.names if a.name != "*"]


def imports(rel: str, text: str) -> Iterator[str]:
    """Absolute names a module imports (anywhere in it): relative imports resolved, and
    ``from argonet import x`` read as ``argonet.x``."""
    for module, names in _import_nodes(rel, text):
        yield module
        yield from (f"{module}.{name}" for name in names)


def _layer(rel: str) -> str:
    return Path(rel).parts[0].removesuffix(".py")


def _argonet_target(name: str) -> str | None:
    """The top-level part of argonet that ``name`` reaches, or None outside argonet."""
    parts = name.split(".")
    return parts[1] if parts[0] == "argonet" and len(parts) > 1 else None


def layer_violations(tree: Tree) -> list[str]:
    """Imports that run backwards, reach viz from a layer that must not draw, or leave the shared modules."""
    bad = []
    for rel, text in tree.items():
        folder = _layer(rel)
        for name in imports(rel, text):
            target = _argonet_target(name)
            if target is None or target in SHARED or target == folder:
                continue
            if folder == DRAWING:
                bad.append(f"{rel} imports {name} (viz takes arrays, not library objects)")
            elif folder in SHARED:
                bad.append(f"{rel} imports {name} (shared modules import no layer)")
            elif target == DRAWING:
                if folder not in DRAWS:
                    bad.append(f"{rel} imports {name} (only {sorted(DRAWS)} draw)")
            elif target not in KNOWN:
                continue                 # an imported name of argonet/__init__ (e.g. __version__)
            elif folder in ORDER and ORDER.index(target) > ORDER.index(folder):
                bad.append(f"{rel} imports {name} (backwards)")
    return bad


def unknown_top_level(tree: Tree) -> list[str]:
    """Top-level modules or folders that are neither a layer, a shared module nor viz."""
    return sorted({_layer(rel) for rel in tree} - KNOWN)


def forbidden_imports(tree: Tree, layers: set[str], root: str) -> list[str]:
    """Modules of ``layers`` that import the external package ``root`` (torch, h5py)."""
    return [rel for rel, text in tree.items()
            if _layer(rel) in layers and any(n.split(".")[0] == root for n in imports(rel, text))]


def cli_violations(tree: Tree) -> list[str]:
    """CLI modules over ``CLI_MAX_LINES`` lines, and CLI modules (but the entry point) importing another."""
    bad = []
    for rel, text in tree.items():
        if _layer(rel) != "cli":
            continue
        if (n := len(text.splitlines())) > CLI_MAX_LINES:
            bad.append(f"{rel}: {n} lines (a command parses, calls one library function and prints)")
        if rel not in CLI_ENTRY:
            bad += [f"{rel} imports {name}" for name in imports(rel, text)
                    if name.startswith("argonet.cli.") or name == "argonet.cli"]
    return bad


def import_cycles(tree: Tree) -> list[list[str]]:
    """Strongly connected groups of two or more modules (or a module importing itself), by any import."""
    names = {module_name(rel): rel for rel in tree}

    def known(name: str) -> str:
        while name and name not in names:        # 'argonet.io.larcv3_read.Larcv3File' → 'argonet.io.larcv3_read'
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for module, rel in names.items():
        edges = set()
        for imported, members in _import_nodes(rel, tree[rel]):
            # 'from argonet.io import larcv3_layout' reaches the submodule; 'from argonet.io import X' the package
            edges.update(known(f"{imported}.{m}") if f"{imported}.{m}" in names else known(imported)
                         for m in members or [""])
        graph[module] = edges - {"", "argonet"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:          # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def long_modules(tree: Tree) -> list[str]:
    """Modules over ``MODULE_MAX_LINES`` lines."""
    return [f"{rel}: {n} lines" for rel, text in tree.items() if (n := len(text.splitlines())) > MODULE_MAX_LINES]


# --- the package -------------------------------------------------------------------------------------------

def test_layers_import_only_to_their_left():
    assert not (bad := layer_violations(package_tree())), "\n".join(bad)


def test_no_unknown_top_level_module():
    assert not (bad := unknown_top_level(package_tree())), f"not in the layer order: {bad}"


def test_simulation_and_io_do_not_import_torch():
    assert not (bad := forbidden_imports(package_tree(), NO_TORCH, "torch")), f"torch in numpy-only layers: {bad}"


def test_configuration_and_simulation_do_not_read_files():
    assert not (bad := forbidden_imports(package_tree(), NO_FILES, "h5py")), f"h5py outside io: {bad}"


def test_cli_modules_are_thin_and_independent():
    assert not (bad := cli_violations(package_tree())), "\n".join(bad)


def test_no_import_cycle():
    assert not (cycles := import_cycles(package_tree())), "\n".join(" ↔ ".join(c) for c in cycles)


def test_modules_stay_readable():
    assert not (long := long_modules(package_tree())), f"modules over {MODULE_MAX_LINES} lines: {long}"


# --- each rule catches a planted violation -------------------------------------------------------------------

def test_backward_imports_are_caught_in_every_spelling():
    for text in ("from argonet import train\n", "import argonet.train.engine\n",
                 "from argonet.train.engine import fit\n", "def f():\n    from argonet.train import engine\n"):
        bad = layer_violations({"data/planted.py": text})
        assert bad and all("argonet.train" in b and b.endswith("(backwards)") for b in bad), text
    fine = "from argonet.io import atomic\nfrom argonet import __version__\n"
    assert layer_violations({"data/planted.py": fine}) == []


def test_relative_imports_are_resolved():
    assert list(imports("data/sub/planted.py", "from ...train import engine\n")) == [
        "argonet.train", "argonet.train.engine"]
    assert list(imports("io/__init__.py", "from .atomic import AtomicPath\n")) == [
        "argonet.io.atomic", "argonet.io.atomic.AtomicPath"]
    assert layer_violations({"io/planted.py": "from ..models import registry\n"})
    assert not layer_violations({"io/planted.py": "from . import atomic\nfrom ..conf import sim\n"})


def test_viz_is_drawn_with_by_train_recipes_serve_and_cli_only():
    assert layer_violations({"eval/planted.py": "from argonet.viz.metrics import plot_roc\n"})
    assert layer_violations({"data/planted.py": "from argonet import viz\n"})
    assert not layer_violations({"recipes/planted.py": "from argonet.viz.metrics import plot_roc\n"})
    assert layer_violations({"viz/planted.py": "from argonet.models import registry\n"})
    assert layer_violations({"units.py": "from argonet.conf import sim\n"})


def test_unknown_top_level_module_is_caught():
    assert unknown_top_level({"io/a.py": "", "helpers.py": "", "extra/b.py": ""}) == ["extra", "helpers"]


def test_torch_and_h5py_in_the_wrong_layer_are_caught():
    tree = {"sim/a.py": "import h5py\n", "io/b.py": "from torch import nn\n", "data/c.py": "import torch, h5py\n"}
    assert forbidden_imports(tree, NO_FILES, "h5py") == ["sim/a.py"]
    assert forbidden_imports(tree, NO_TORCH, "torch") == ["io/b.py"]


def test_long_or_coupled_cli_modules_are_caught():
    tree = {"cli/fat.py": "x = 1\n" * (CLI_MAX_LINES + 1), "cli/coupled.py": "from argonet.cli.fat import x\n",
            "cli/relative.py": "from .fat import x\n", "cli/main.py": "from argonet.cli import fat\n"}
    bad = cli_violations(tree)
    assert bad[0].startswith("cli/fat.py: 121 lines") and not any(b.startswith("cli/main.py") for b in bad)
    assert any(b.startswith("cli/coupled.py imports") for b in bad)
    assert any(b.startswith("cli/relative.py imports") for b in bad)


def test_import_cycles_are_caught():
    tree = {"recipes/a.py": "from argonet.recipes.b import f\n",
            "recipes/b.py": "def f():\n    from argonet.recipes import a\n",
            "recipes/__init__.py": "", "recipes/c.py": "from argonet.recipes.a import f\n"}
    assert import_cycles(tree) == [["argonet.recipes.a", "argonet.recipes.b"]]
    assert import_cycles({"io/__init__.py": "from argonet.io.a import f\n", "io/a.py": "from . import b\n",
                          "io/b.py": "from argonet.io import f\n"}) == [["argonet.io", "argonet.io.a", "argonet.io.b"]]
    del tree["recipes/b.py"]
    tree["recipes/b.py"] = "def f():\n    pass\n"
    assert import_cycles(tree) == []


def test_long_modules_are_caught():
    assert long_modules({"io/long.py": "x = 1\n" * (MODULE_MAX_LINES + 1), "io/short.py": "x = 1\n"}) == [
        f"io/long.py: {MODULE_MAX_LINES + 1} lines"]
