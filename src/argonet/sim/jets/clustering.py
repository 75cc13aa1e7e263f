"""Jet finding with FastJet: anti-kT jets of an event, kT subjets of a jet, soft-drop grooming.

Momenta are (n, 4) arrays of px, py, pz, E in GeV; jets keep their constituents as such arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import fastjet
import numpy as np

fastjet._swig.ClusterSequence.set_fastjet_banner_stream(None)   # FastJet (Cacciari, Salam, Soyez): cited in docs

#: a radius larger than any event, so that exclusive clustering never stops at the beam
_ALL_R = 1000.0


@dataclass
class Jet:
    """A clustered jet: its four-momentum (E scheme) and its constituents."""

    p4: np.ndarray                   # (4,) px, py, pz, E in GeV
    pt_GeV: float
    eta: float
    phi: float                       # in (-pi, pi]
    constituents: np.ndarray         # (n, 4)


def _pseudojets(p4: np.ndarray) -> list:
    """FastJet inputs of (n, 4) momenta."""
    return [fastjet.PseudoJet(*row) for row in np.asarray(p4, np.float64).reshape(-1, 4).tolist()]


def _p4(pj) -> np.ndarray:
    """(4,) px, py, pz, E of a PseudoJet."""
    return np.array([pj.px(), pj.py(), pj.pz(), pj.e()])


def _p4s(pseudojets) -> np.ndarray:
    """(n, 4) momenta of PseudoJets."""
    return np.array([(pj.px(), pj.py(), pj.pz(), pj.e()) for pj in pseudojets], np.float64).reshape(-1, 4)


def antikt_jets(p4: np.ndarray, R: float, pt_GeV_min: float) -> list[Jet]:
    """Anti-kT jets of radius R above pt_GeV_min, hardest first."""
    if len(p4) == 0:
        return []
    sequence = fastjet.ClusterSequence(_pseudojets(p4), fastjet.JetDefinition(fastjet.antikt_algorithm, float(R)))
    return [Jet(_p4(pj), pj.pt(), pj.eta(), pj.phi_std(), _p4s(pj.constituents()))
            for pj in fastjet.sorted_by_pt(sequence.inclusive_jets(float(pt_GeV_min)))]


def exclusive_kt_subjets(p4: np.ndarray, counts: tuple[int, ...] = (1, 2, 3)) -> list[np.ndarray]:
    """For each n of ``counts``, the n exclusive kT subjets of a jet's constituents, hardest first,
    as (min(n, len(p4)), 4) momenta (one clustering serves every n).

    Recombination is winner-take-all in pT (Larkoski, Neill, Thaler, JHEP 04 (2014) 017): a subjet
    points along its hardest branch and carries the scalar pT sum, so the n subjet axes are among the
    n + 1 ones and N-subjettiness falls with N (tau2 <= tau1), unlike with E-scheme axes.
    """
    if len(p4) == 0:
        return [np.zeros((0, 4)) for _ in counts]
    definition = fastjet.JetDefinition(fastjet.kt_algorithm, _ALL_R, fastjet.WTA_pt_scheme)
    sequence = fastjet.ClusterSequence(_pseudojets(p4), definition)
    return [_p4s(fastjet.sorted_by_pt(sequence.exclusive_jets(int(min(n, len(p4)))))) for n in counts]


def soft_drop(p4: np.ndarray, R0: float, z_cut: float = 0.1, beta: float = 0.0) -> np.ndarray:
    """Which of the (n, 4) constituents the soft-drop groomed jet keeps, as a bool mask (Larkoski,
    Marzani, Soyez, Thaler 2014; beta = 0 is mMDT): decluster the Cambridge/Aachen tree, dropping the
    softer branch while min(pT1, pT2) / (pT1 + pT2) <= z_cut (dR12 / R0)^beta. The groomed
    four-momentum is ``p4[mask].sum(axis=0)`` (E-scheme recombination)."""
    keep = np.zeros(len(p4), bool)
    if len(p4) == 0:
        return keep
    inputs = _pseudojets(p4)
    for i, pj in enumerate(inputs):
        pj.set_user_index(i)
    sequence = fastjet.ClusterSequence(inputs, fastjet.JetDefinition(fastjet.cambridge_algorithm, _ALL_R))
    jet = sequence.exclusive_jets(1)[0]
    while True:
        first, second = fastjet.PseudoJet(), fastjet.PseudoJet()
        if not jet.has_parents(first, second):
            break
        pt1, pt2 = first.pt(), second.pt()
        if min(pt1, pt2) / (pt1 + pt2) > z_cut * (first.delta_R(second) / R0) ** beta:
            break
        jet = first if pt1 >= pt2 else second
    keep[[pj.user_index() for pj in jet.constituents()]] = True
    return keep
