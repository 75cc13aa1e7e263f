"""tools/check_with_larcv3.py: argonet's side of the comparison and the report, without larcv3 installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from argonet.event import ImageMeta, SparseImage
from argonet.io import Larcv3Writer
from argonet.io.larcv3_layout import LARCV_PARTICLE_DTYPE

TOOL = Path(__file__).parents[2] / "tools" / "check_with_larcv3.py"


def _tool():
    spec = importlib.util.spec_from_file_location("check_with_larcv3", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _image(plane: int, ids: list[int], value: float) -> SparseImage:
    meta = ImageMeta(plane, (4, 5), (4.0, 5.0), (0.0, 0.0))
    return SparseImage(meta, np.array(ids, np.uint64), np.full(len(ids), value, np.float32))


def _file_with_a_missing_product(path: Path) -> Path:
    """Three events; the second has no ``sparse2d/b`` and no ``particle/p``."""
    particles = np.zeros(2, LARCV_PARTICLE_DTYPE)
    particles["pdg"], particles["energy_init"] = [13, 2212], [1.0, 2.0]
    with Larcv3Writer(path) as w:
        w.write_products({"sparse2d/a": [_image(0, [1, 2], 1.0)], "sparse2d/b": [_image(0, [3], 2.0)],
                          "particle/p": particles})
        w.write_products({"sparse2d/a": [_image(0, [4], 3.0)]})
        w.write_products({"sparse2d/a": [_image(0, [5, 6, 7], 4.0)], "sparse2d/b": [_image(0, [8, 9], 5.0)],
                          "particle/p": particles[:1]})
    return path


def _as_larcv3_reads(summary):
    """larcv3's reading of an argonet file: an empty entry shows the previous event's content."""
    n, rows = summary
    out = {}
    for (entry, key), value in sorted(rows.items()):
        empty = value == [] or value == ([], [])
        out[(entry, key)] = out.get((entry - 1, key), value) if empty else value
    return n, out


def test_argonet_side_reads_the_file(tmp_path):
    tool = _tool()
    n, summary = tool.argonet_summary(str(_file_with_a_missing_product(tmp_path / "m.h5")))
    assert n == 3
    assert summary[(0, "sparse2d/a")] == [(0, [4, 5], 2, 3, 2.0)]
    assert summary[(1, "sparse2d/b")] == []
    assert summary[(2, "sparse2d/b")] == [(0, [4, 5], 2, 17, 10.0)]
    assert summary[(0, "particle/p")] == ([13, 2212], [1.0, 2.0]) and summary[(1, "particle/p")] == ([], [])


def test_an_event_lacking_a_product_is_reported_not_a_crash(tmp_path):
    tool = _tool()
    path = str(_file_with_a_missing_product(tmp_path / "m.h5"))
    mine = tool.argonet_summary(path)
    checked, bad = tool.compare_summaries(path, _as_larcv3_reads(mine), mine)
    assert checked == 5                      # a: 3 events; b: events 0 and 2
    cause = "(the event has no such product; larcv3 reads the previous event's instead)"
    assert sorted(bad) == [f"{path} entry 1 particle/p: larcv3 reads 2 particles, argonet 0 {cause}",
                   f"{path} entry 1 sparse2d/b: larcv3 reads 1 projections, argonet 0 {cause}"]


def test_same_reading_gives_no_mismatch_and_a_changed_value_is_named(tmp_path):
    tool = _tool()
    path = str(_file_with_a_missing_product(tmp_path / "m.h5"))
    mine = tool.argonet_summary(path)
    assert tool.compare_summaries(path, mine, mine) == (5, [])
    n, rows = mine
    changed = dict(rows)
    changed[(2, "sparse2d/a")] = [(0, [4, 5], 3, 18, 12.5)]
    checked, bad = tool.compare_summaries(path, (n, changed), mine)
    assert checked == 5 and len(bad) == 1 and "entry 2 sparse2d/a projection 0" in bad[0]
    assert tool.compare_summaries(path, (4, rows), mine) == (0, [f"{path}: larcv3 sees 4 entries, argonet 3"])
