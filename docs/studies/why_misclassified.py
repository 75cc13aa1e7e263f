"""What the 4-class interaction classifier confuses, and why: test predictions joined with the truth.

    python docs/studies/why_misclassified.py EVENTS.h5 RUN/head_test/predictions.csv [RUN/finetune_test/predictions.csv]

For each predictions file, the rate of the two confusions that dominate, split by the truth
feature that explains them: a CC event is called NC when its muon is short (a short muon looks
like a proton or pion track); an NCRES event is called CC when a charged pion (a minimum-ionising
track like a muon) leaves the vertex. Also lists a few mis-classified entries to look at with
``argonet display EVENTS.h5 event=ENTRY``.
"""

from __future__ import annotations

import csv
import sys

import numpy as np

from argonet.io import Larcv3File

CC, NC = ("CCQE", "CCRES"), ("NCQE", "NCRES")
SHORT_MUON_CM = 30.0


def event_features(events: str, entries: list[int]) -> dict[int, dict]:
    """Primary muon length (cm; 0 when none) and whether a primary charged pion is present, per entry."""
    out = {}
    with Larcv3File(events) as f:
        for entry in entries:
            rows = f.particles("argonet_particles", entry)
            primary = rows["process"] == b"primary"
            muons = rows[primary & (np.abs(rows["pdg"]) == 13)]
            out[entry] = {"muon_cm": float(muons["distance_cm"].max()) if len(muons) else 0.0,
                          "charged_pion": bool(np.any(primary & (np.abs(rows["pdg"]) == 211))),
                          "neutral_pion": bool(np.any(primary & (rows["pdg"] == 111)))}
    return out


def rate(rows: list[dict], wrong) -> str:
    """'k/n = p %' of rows for which wrong(row) holds."""
    k = sum(1 for r in rows if wrong(r))
    return f"{k}/{len(rows)} = {100 * k / max(len(rows), 1):.0f} %"


def main(events: str, *prediction_files: str) -> None:
    for path in prediction_files:
        with open(path) as fh:
            rows = [dict(r, entry=int(r["entry"])) for r in csv.DictReader(fh)]
        features = event_features(events, [r["entry"] for r in rows])
        for r in rows:
            r.update(features[r["entry"]])
        print(f"== {path}: {len(rows)} test events")
        ccqe = [r for r in rows if r["true"] == "CCQE"]
        short = [r for r in ccqe if r["muon_cm"] < SHORT_MUON_CM]
        long = [r for r in ccqe if r["muon_cm"] >= SHORT_MUON_CM]
        print(f"CCQE called NC: muon < {SHORT_MUON_CM:.0f} cm {rate(short, lambda r: r['predicted'] in NC)}, "
              f"longer muons {rate(long, lambda r: r['predicted'] in NC)}")
        ncres = [r for r in rows if r["true"] == "NCRES"]
        with_pion = [r for r in ncres if r["charged_pion"]]
        without = [r for r in ncres if not r["charged_pion"]]
        print(f"NCRES called CC: with a primary charged pion {rate(with_pion, lambda r: r['predicted'] in CC)}, "
              f"without {rate(without, lambda r: r['predicted'] in CC)}")
        ccres = [r for r in rows if r["true"] == "CCRES"]
        print(f"CCQE <-> CCRES: CCQE called CCRES {rate(ccqe, lambda r: r['predicted'] == 'CCRES')}, "
              f"CCRES called CCQE {rate(ccres, lambda r: r['predicted'] == 'CCQE')}")
        for true, predicted in (("NCRES", "CCRES"), ("CCQE", "NCRES"), ("CCQE", "NCQE")):
            picked = [r["entry"] for r in rows if r["true"] == true and r["predicted"] == predicted][:4]
            print(f"  {true} called {predicted}: entries {picked}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], *sys.argv[2:])
