"""No test compares a clock reading: speed is measured in benchmarks/, beside a baseline, not asserted.

A test that asserts elapsed time fails on a loaded machine for reasons that have nothing to do with
correctness. Every test module is parsed; within each function, names assigned from a clock reading
(``time.perf_counter()``, ``time.time()``, ``time.monotonic()``, ``time.process_time()``, their
``_ns`` forms, ``timeit``) or from an expression using such a name are followed, and a comparison or
an ``assert`` that involves one is reported. ``time.sleep`` reads no clock and is allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
CLOCKS = {"time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time",
          "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime", "clock_gettime_ns",
          "default_timer", "timeit", "repeat"}
CLOCK_MODULES = {"time", "timeit"}


def _clock_aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(module aliases, bare function names) through which the module can read a clock."""
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name in CLOCK_MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module in CLOCK_MODULES:
            functions.update(a.asname or a.name for a in node.names if a.name in CLOCKS)
    return modules, functions


def _is_clock_call(node: ast.AST, modules: set[str], functions: set[str]) -> bool:
    """``time.perf_counter()``-like or ``perf_counter()``-like call."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f.value.id in modules and f.attr in CLOCKS
    return isinstance(f, ast.Name) and f.id in functions


def _uses_clock(node: ast.AST, tainted: set[str], modules: set[str], functions: set[str]) -> bool:
    """Whether an expression reads a clock or uses a value derived from one."""
    return any(_is_clock_call(n, modules, functions) or (isinstance(n, ast.Name) and n.id in tainted)
               for n in ast.walk(node))


def _targets(node: ast.AST) -> list[str]:
    """Names (and ``self.x`` attributes) bound by an assignment-like statement."""
    names = []
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                names.append(n.id)
    return names


def clock_comparisons(source: str, filename: str = "<test>") -> list[str]:
    """'file:line' of every comparison or assert in ``source`` that involves a clock reading."""
    tree = ast.parse(source, filename)
    modules, functions = _clock_aliases(tree)
    if not modules and not functions:
        return []
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [tree]
    found = set()
    for scope in scopes:
        tainted: set[str] = set()
        assignments = [n for n in ast.walk(scope) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign,
                                                                    ast.NamedExpr))
                       and getattr(n, "value", None) is not None]
        changed = True
        while changed:                       # follow derived values (elapsed = now - start, rate = n / elapsed)
            changed = False
            for node in assignments:
                if _uses_clock(node.value, tainted, modules, functions):
                    new = set(_targets(node)) - tainted
                    if new:
                        tainted |= new
                        changed = True
        for node in ast.walk(scope):
            if isinstance(node, ast.Compare) and _uses_clock(node, tainted, modules, functions):
                found.add(f"{filename}:{node.lineno}")
            elif isinstance(node, ast.Assert) and _uses_clock(node, tainted, modules, functions):
                found.add(f"{filename}:{node.lineno}")
    return sorted(found, key=lambda s: int(s.rsplit(":", 1)[1]))


def test_no_test_compares_a_clock_reading():
    bad = []
    for path in sorted(TESTS.rglob("*.py")):
        bad += clock_comparisons(path.read_text(), str(path.relative_to(TESTS)))
    assert not bad, "tests that compare elapsed time (move the measurement to benchmarks/): " + ", ".join(bad)


PLANTED = {
    "elapsed": "import time\ndef test_x():\n    t0 = time.perf_counter()\n    run()\n"
               "    elapsed = time.perf_counter() - t0\n    assert elapsed < 5.0\n",
    "inline": "import time\ndef test_x():\n    start = time.time()\n    run()\n    assert time.time() - start < 1\n",
    "from-import": "from time import monotonic as now\ndef test_x():\n    a = now()\n    run()\n"
                   "    b = now()\n    ok = (b - a) <= 2\n    assert ok\n",
    "rate": "import time\ndef test_x():\n    t = time.process_time()\n    n = run()\n"
            "    rate = n / (time.process_time() - t)\n    if rate > 100:\n        pass\n",
    "timeit": "import timeit\ndef test_x():\n    assert timeit.timeit(run, number=3) < 0.5\n",
}

CLEAN = {
    "sleep": "import time\ndef test_x():\n    time.sleep(0.1)\n    assert run() == 3\n",
    "no clock": "def test_x():\n    start = 3\n    assert start < 5\n",
    "reading, not compared": "import time\ndef test_x():\n    t = time.perf_counter()\n    print(t)\n"
                             "    assert run() == 1\n",
}


def test_the_guard_finds_planted_violations():
    for name, source in PLANTED.items():
        assert clock_comparisons(source), name
    assert clock_comparisons(PLANTED["elapsed"], "x.py") == ["x.py:6"]
    for name, source in CLEAN.items():
        assert clock_comparisons(source) == [], name
