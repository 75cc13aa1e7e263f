"""Check that the larcv3 library itself reads argonet's files as argonet does.

    pip install larcv            # builds larcv3 from source: needs cmake and the HDF5 headers
    python tools/check_with_larcv3.py FILE.h5 [FILE.h5 ...]

For every entry, every sparse2d projection (charge and labels) and every particle product it compares
larcv3's IOManager with argonet's reader: meta, voxel count, sum of ids, sum of values, particle pdg
codes and energies. Prints the number of projections compared and every mismatch; exits 1 on any.
"""

from __future__ import annotations

import sys

import numpy as np

import larcv
from argonet.io import Larcv3File


def compare(path: str) -> tuple[int, list[str]]:
    """(projections compared, mismatch descriptions) for one file."""
    io = larcv.IOManager(larcv.IOManager.kREAD)
    io.add_in_file(path)
    io.initialize()
    checked, bad = 0, []
    with Larcv3File(path) as ours:
        if io.get_n_entries() != len(ours):
            return 0, [f"{path}: larcv3 sees {io.get_n_entries()} entries, argonet {len(ours)}"]
        for entry in range(len(ours)):
            io.read_entry(entry)
            for producer in ours.products.get("sparse2d", []):
                for theirs, mine in zip(io.get_data("sparse2d", producer).as_vector(), ours.sparse2d(producer, entry),
                                        strict=True):
                    meta = theirs.meta()
                    got = (int(meta.projection_id()), [int(meta.number_of_voxels(i)) for i in range(2)],
                           int(theirs.size()), int(np.asarray(theirs.indexes(), np.uint64).sum()),
                           float(np.asarray(theirs.values(), np.float32).astype(np.float64).sum()))
                    want = (mine.meta.projection_id, list(mine.meta.shape), len(mine.index),
                            int(mine.index.sum()), float(mine.value.astype(np.float64).sum()))
                    if got != want:
                        bad.append(f"{path} entry {entry} sparse2d/{producer} projection {want[0]}: {got} != {want}")
                    checked += 1
            for producer in ours.products.get("particle", []):
                theirs = io.get_data("particle", producer).as_vector()
                mine = ours.particles_raw(producer, entry)
                if [int(p.pdg_code()) for p in theirs] != mine["pdg"].tolist() or not np.allclose(
                        [p.energy_init() for p in theirs], mine["energy_init"]):
                    bad.append(f"{path} entry {entry} particle/{producer}: particle tables differ")
    return checked, bad


def main(paths: list[str]) -> int:
    total, problems = 0, []
    for path in paths:
        n, bad = compare(path)
        total += n
        problems += bad
    print(f"{total} projections compared with larcv3 {getattr(larcv, '__version__', '')}: {len(problems)} mismatches")
    for line in problems:
        print(" ", line)
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
