"""Check that the larcv3 library itself reads argonet's files as argonet does.

    pip install larcv            # builds larcv3 from source: needs cmake and the HDF5 headers
    python tools/check_with_larcv3.py FILE.h5 [FILE.h5 ...]

For every entry, every sparse2d projection (charge and labels) and every particle product it compares
larcv3's IOManager with argonet's reader: meta, voxel count, sum of ids, sum of values, particle pdg
codes and energies. Prints the number of projections compared and every mismatch; exits 1 on any.

An event without one of the file's products (argonet writes an empty entry for it) reads, in larcv3,
as the previous event's content of that product: larcv3 keeps the product's last data when the
entry holds none. Such events are reported as mismatches that name this cause.
"""

from __future__ import annotations

import sys

import numpy as np

from argonet.io import Larcv3File

#: (projection_id, [rows, columns], voxels, sum of ids, sum of values) of one sparse2d projection
Projection = tuple[int, list[int], int, int, float]
#: {(entry, "sparse2d/<producer>"): [Projection, ...], (entry, "particle/<producer>"): (pdgs, energies)}
Summary = dict[tuple[int, str], object]


def argonet_summary(path: str) -> tuple[int, Summary]:
    """(entries, summary) of a file as argonet's reader reads it."""
    out: Summary = {}
    with Larcv3File(path) as ours:
        for entry in range(len(ours)):
            for producer in ours.products.get("sparse2d", []):
                out[(entry, f"sparse2d/{producer}")] = [
                    (int(image.meta.projection_id), [int(n) for n in image.meta.shape], len(image.index),
                     int(image.index.astype(np.uint64).sum()), float(image.value.astype(np.float64).sum()))
                    for image in ours.sparse2d(producer, entry)]
            for producer in ours.products.get("particle", []):
                rows = ours.particles_raw(producer, entry)
                out[(entry, f"particle/{producer}")] = (rows["pdg"].tolist(), rows["energy_init"].tolist())
        return len(ours), out


def larcv3_summary(path: str, keys: list[str]) -> tuple[int, Summary]:
    """(entries, summary) of a file as larcv3's IOManager reads it (needs the larcv3 library)."""
    import larcv

    io = larcv.IOManager(larcv.IOManager.kREAD)
    io.add_in_file(path)
    io.initialize()
    out: Summary = {}
    for entry in range(io.get_n_entries()):
        io.read_entry(entry)
        for key in keys:
            product_type, producer = key.split("/", 1)
            data = io.get_data(product_type, producer).as_vector()
            if product_type == "sparse2d":
                out[(entry, key)] = [
                    (int(t.meta().projection_id()), [int(t.meta().number_of_voxels(i)) for i in range(2)],
                     int(t.size()), int(np.asarray(t.indexes(), np.uint64).sum()),
                     float(np.asarray(t.values(), np.float32).astype(np.float64).sum())) for t in data]
            else:
                out[(entry, key)] = ([int(p.pdg_code()) for p in data], [float(p.energy_init()) for p in data])
    return io.get_n_entries(), out


def _cause(mine_count: int) -> str:
    """Why larcv3 may read projections or particles argonet does not see."""
    return (" (the event has no such product; larcv3 reads the previous event's instead)"
            if mine_count == 0 else "")


def compare_summaries(path: str, theirs: tuple[int, Summary], mine: tuple[int, Summary]) -> tuple[int, list[str]]:
    """(projections compared, mismatch descriptions) between larcv3's and argonet's reading of a file."""
    (n_theirs, seen), (n_mine, ours) = theirs, mine
    if n_theirs != n_mine:
        return 0, [f"{path}: larcv3 sees {n_theirs} entries, argonet {n_mine}"]
    checked, bad = 0, []
    for (entry, key), want in ours.items():
        got = seen.get((entry, key))
        where = f"{path} entry {entry} {key}"
        if key.startswith("sparse2d/"):
            got = got or []
            if len(got) != len(want):
                bad.append(f"{where}: larcv3 reads {len(got)} projections, argonet {len(want)}{_cause(len(want))}")
                continue
            for g, w in zip(got, want):
                if tuple(g) != tuple(w):
                    bad.append(f"{where} projection {w[0]}: {tuple(g)} != {tuple(w)}")
                checked += 1
        else:
            pdgs, energies = got or ([], [])
            if len(pdgs) != len(want[0]):
                bad.append(f"{where}: larcv3 reads {len(pdgs)} particles, argonet {len(want[0])}"
                           f"{_cause(len(want[0]))}")
            elif list(pdgs) != list(want[0]) or not np.allclose(energies, want[1]):
                bad.append(f"{where}: particle tables differ")
    return checked, bad


def main(paths: list[str]) -> int:
    """Compare every file; print the count and each mismatch; 1 on any mismatch or nothing compared."""
    total, problems = 0, []
    for path in paths:
        mine = argonet_summary(path)
        keys = sorted({key for _, key in mine[1]})
        n, bad = compare_summaries(path, larcv3_summary(path, keys), mine)
        total += n
        problems += bad
    print(f"{total} projections compared with larcv3: {len(problems)} mismatches")
    for line in problems:
        print(" ", line)
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
