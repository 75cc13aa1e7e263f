"""The official DUNE CVN's published results on the public CVN sample, and the same figures for any classifier.

The reference (the pretrained DUNE CVN of B. Abi et al., Phys. Rev. D 102, 092003 (2020), run in
the dune-cvn tutorial notebook, github.com/nitish-nayak/dune-cvn ``dune_cvn.ipynb``; numbers in
``../shared/data/dune_cvn/README.md``) is computed on 100 events each of numu CC, nue CC and NC:
true nutau events are not used, and events the CVN predicts as nutau are dropped from the
3 × 3 matrix (row sums 99 / 94 / 99). Its diagonal, 93 / 89 / 90 %, is counts over the 100
events of each class. The nue AUC (0.991) is of the nue CC score, nue CC against numu CC + NC.
"""

from __future__ import annotations

from collections.abc import Sequence
import os
from pathlib import Path
from typing import Any

import numpy as np

from argonet.errors import DataError, FormatError
from argonet.eval.metrics import auc, roc_curve

#: the three flavours of the reference matrix, in its order (rows true, columns predicted)
THREE_FLAVOURS = ("NUMU_CC", "NUE_CC", "NC")
#: reference_outputs/confusion_mat.npy of the dune-cvn tutorial (rows true numu/nue/NC, columns predicted)
OFFICIAL_CONFUSION = ((93, 1, 5), (1, 89, 4), (4, 5, 90))
OFFICIAL_EVENTS_PER_CLASS = 100
OFFICIAL_NUE_AUC = 0.991
OFFICIAL_CVN = {"name": "official DUNE CVN (Phys. Rev. D 102, 092003)",
                "diagonal": {c: OFFICIAL_CONFUSION[k][k] / OFFICIAL_EVENTS_PER_CLASS
                             for k, c in enumerate(THREE_FLAVOURS)},
                "confusion": [list(row) for row in OFFICIAL_CONFUSION], "nue_auc": OFFICIAL_NUE_AUC,
                "events_per_class": OFFICIAL_EVENTS_PER_CLASS}
#: the reference's nue CC scores, per true class, in the dune-cvn ``numpy_files`` folder
REFERENCE_SCORE_FILES = {"NUE_CC": "sig_scores.npy", "NUMU_CC": "numu_scores.npy", "NC": "nc_scores.npy"}


def three_flavour_view(confusion: np.ndarray | Sequence[Sequence[int]], class_names: Sequence[str]) -> dict[str, Any]:
    """The numu / nue / NC matrix as the reference computes it, from a confusion matrix of ``class_names``
    (rows true, columns predicted): true nutau rows and predicted-nutau columns dropped.

    ``diagonal`` is correct counts over all events of the true class (the reference's 93 / 89 / 90 %),
    ``diagonal_of_kept`` over the events left after the drop (row-normalised matrix).
    """
    counts = np.asarray(confusion, dtype=np.int64)
    missing = [c for c in THREE_FLAVOURS if c not in class_names]
    if missing:
        raise DataError(f"the classes {list(class_names)} lack {missing}")
    index = [list(class_names).index(c) for c in THREE_FLAVOURS]
    all_events = counts[index].sum(axis=1)
    kept = counts[np.ix_(index, index)]
    kept_rows = kept.sum(axis=1)

    def share(num: np.ndarray, den: np.ndarray) -> dict[str, float | None]:
        return {c: (float(n / d) if d else None) for c, n, d in zip(THREE_FLAVOURS, num.tolist(), den.tolist())}

    return {"classes": list(THREE_FLAVOURS), "confusion": kept.tolist(), "events": all_events.tolist(),
            "dropped_as_nutau": (all_events - kept_rows).tolist(), "diagonal": share(np.diag(kept), all_events),
            "diagonal_of_kept": share(np.diag(kept), kept_rows)}


def nue_auc_without_nutau(probs: np.ndarray, labels: np.ndarray, class_names: Sequence[str]) -> float | None:
    """AUC of the nue CC score, nue CC against numu CC + NC (true nutau left out): the reference's definition."""
    names = list(class_names)
    nue = names.index("NUE_CC")
    background = [names.index(c) for c in ("NUMU_CC", "NC") if c in names]
    keep = np.isin(labels, [nue, *background])
    is_signal = labels[keep] == nue
    if is_signal.all() or not is_signal.any():
        return None
    signal_eff, background_eff, _ = roc_curve(is_signal, probs[keep, nue])
    return auc(signal_eff, background_eff)


def read_reference_scores(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """The official CVN's nue CC scores per true class (NUE_CC, NUMU_CC, NC) from the dune-cvn ``*_scores.npy``."""
    scores = {}
    for name, file in REFERENCE_SCORE_FILES.items():
        path = Path(folder) / file
        try:
            values = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise FormatError(f"cannot read the reference scores ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:120]})", file=str(path)) from exc
        if values.ndim != 1 or not np.isfinite(values).all():
            raise FormatError(f"expected a 1-d array of finite scores, got shape {values.shape}", file=str(path))
        scores[name] = values.astype(np.float64)
    return scores


def reference_roc(scores: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """(signal efficiency, background efficiency, AUC) of the reference: nue CC against numu CC + NC."""
    background = np.concatenate([scores["NUMU_CC"], scores["NC"]])
    is_signal = np.r_[np.ones(len(scores["NUE_CC"]), bool), np.zeros(len(background), bool)]
    signal_eff, background_eff, _ = roc_curve(is_signal, np.r_[scores["NUE_CC"], background])
    return signal_eff, background_eff, auc(signal_eff, background_eff)
