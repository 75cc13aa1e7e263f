"""Wire-Cell 2-D frames in HDF5 (the ``wcls`` frame dumps of LArSoft + Wire-Cell), split into wire planes.

Layout (read from DUNE far-detector 1x2x6 dumps): one group per event, named by its number
(``"1"``, ``"2"``, ...), holding for each frame tag ``<tag>``:

* ``frame_<tag>``: (n_channels, n_ticks) float32, one row per channel (charge after signal
  processing for ``rebinned_reco``; for truth frames ``pid_1st``/``pid_2nd`` the PDG code of the
  particle giving the most / second-most charge to the pixel, 0 = none; ``trackid_*`` Geant4 ids);
* ``channels_<tag>``: (n_channels,) channel number of each row;
* ``tickinfo_<tag>``: (3,) as Wire-Cell writes it (start time, tick period, first tick).

A frame is split into planes by channel number: a DUNE far-detector APA reads 2560 channels,
800 U (induction), 800 V (induction) and 960 X/W (collection, 480 per face), numbered in that
order (DUNE FD TDR Vol. IV, arXiv:2002.03010, §2.3). Each plane is returned as argonet's
(wire, tick) array with wire = channel offset inside the plane.

Truth topology (``topology_labels``): 0 background (no truth particle), 1 track-like, 2 shower-like,
in argonet's ``ParticleKind`` numbering. Shower-like are pixels whose PDG is e±, photon or π⁰
(|pdg| in 11, 22, 111); every other non-zero PDG (μ±, π±, K±, protons, nuclei 100ZZZAAAI) is
track-like.
"""

from __future__ import annotations

import h5py
import numpy as np

from argonet.errors import FormatError
from argonet.event import ParticleKind
from argonet.io.h5handle import LazyH5File

#: channels of one DUNE FD APA and its planes (name, first channel, end channel) inside it (TDR Vol. IV §2.3)
APA_CHANNELS = 2560
APA_PLANES = (("U", 0, 800), ("V", 800, 1600), ("W", 1600, 2560))
#: |PDG| of particles whose deposits count as shower-like (electrons, photons, neutral pions)
SHOWER_PDGS = (11, 22, 111)
TOPOLOGY_CLASSES = ("background", "track", "shower")
FRAME_PREFIX, CHANNELS_PREFIX, TICKINFO_PREFIX = "frame_", "channels_", "tickinfo_"
#: frame tags that hold truth rather than charge
TRUTH_TAG_PREFIXES = ("pid", "trackid")


def topology_labels(pid: np.ndarray) -> np.ndarray:
    """Per-pixel PDG codes → uint8 0 background, 1 track-like, 2 shower-like (ParticleKind numbering)."""
    pdg = np.abs(np.rint(pid)).astype(np.int64)
    out = np.where(pdg != 0, np.uint8(ParticleKind.TRACK), np.uint8(ParticleKind.BACKGROUND)).astype(np.uint8)
    out[np.isin(pdg, SHOWER_PDGS)] = ParticleKind.SHOWER
    return out


class WireCellFile(LazyH5File):
    """A Wire-Cell frame file: events (groups), frame tags, frames and their per-plane split."""

    def _open_and_check(self) -> None:
        """List the event groups and frame tags; every event must hold every tag's frame and channels."""
        with self._guard():
            h5 = self._file()
            groups = [name for name, item in h5.items() if isinstance(item, h5py.Group)]
            events = [g for g in groups if any(k.startswith(FRAME_PREFIX) for k in h5[g])]
            if not events:
                raise FormatError("no event group holding a frame_<tag> dataset (not a Wire-Cell frame file)",
                                  file=str(self.path))
            self.events = sorted(events, key=lambda s: (0, int(s), "") if s.isdigit() else (1, 0, s))
            first = h5[self.events[0]]
            self.tags = sorted(k[len(FRAME_PREFIX):] for k in first if k.startswith(FRAME_PREFIX))
            for e, name in enumerate(self.events):
                group = h5[name]
                for tag in self.tags:
                    frame, channels = group.get(FRAME_PREFIX + tag), group.get(CHANNELS_PREFIX + tag)
                    where = dict(file=str(self.path), event=e, product=f"{name}/{FRAME_PREFIX}{tag}")
                    if not isinstance(frame, h5py.Dataset) or frame.ndim != 2 or frame.dtype.kind not in "uif":
                        raise FormatError("missing, or not a numeric (channels, ticks) frame", **where)
                    if not isinstance(channels, h5py.Dataset) or channels.shape != (frame.shape[0],):
                        raise FormatError(f"needs {CHANNELS_PREFIX}{tag} with one channel number per frame row "
                                          f"({frame.shape[0]})", **where)

    def __len__(self) -> int:
        """Number of events."""
        return len(self.events)

    @property
    def charge_tags(self) -> list[str]:
        """Frame tags that are not truth (pid / trackid) frames."""
        return [t for t in self.tags if not t.startswith(TRUTH_TAG_PREFIXES)]

    def _check_tag(self, tag: str) -> None:
        """FormatError listing the file's tags when ``tag`` is not one of them."""
        if tag not in self.tags:
            raise FormatError(f"no frame tag {tag!r}", file=str(self.path), product=tag, available=self.tags)

    def frame(self, entry: int, tag: str) -> tuple[np.ndarray, np.ndarray]:
        """(channel numbers (n,) int64, frame (n, n_ticks) float32) of one event."""
        self._check_tag(tag)
        with self._guard(f"{self.events[entry]}/{FRAME_PREFIX}{tag}", entry):
            group = self._file()[self.events[entry]]
            return (group[CHANNELS_PREFIX + tag][()].astype(np.int64),
                    group[FRAME_PREFIX + tag][()].astype(np.float32, copy=False))

    def tickinfo(self, entry: int, tag: str) -> np.ndarray:
        """The (3,) tick information Wire-Cell stored with the frame (empty when absent)."""
        self._check_tag(tag)
        with self._guard(f"{self.events[entry]}/{TICKINFO_PREFIX}{tag}", entry):
            item = self._file()[self.events[entry]].get(TICKINFO_PREFIX + tag)
            return np.zeros(0) if item is None else np.asarray(item[()], np.float64)

    def planes(self, entry: int, tag: str) -> list[np.ndarray]:
        """The frame split into the APA's U, V, W planes, each (wires of the plane, n_ticks) float32;
        wires without a frame row stay zero."""
        channels, frame = self.frame(entry, tag)
        where = dict(file=str(self.path), event=entry, product=f"{self.events[entry]}/{FRAME_PREFIX}{tag}")
        anodes = np.unique(channels // APA_CHANNELS)
        if len(anodes) != 1 or channels.min(initial=0) < 0:
            raise FormatError(f"frame rows span anodes {anodes.tolist()}; one APA (2560 channels) is read at a time",
                              **where)
        local = channels % APA_CHANNELS
        out = []
        for _, lo, hi in APA_PLANES:
            plane = np.zeros((hi - lo, frame.shape[1]), np.float32)
            rows = (local >= lo) & (local < hi)
            plane[local[rows] - lo] = frame[rows]
            out.append(plane)
        return out

