"""Shared matplotlib set-up: headless backend, colours for argonet's label classes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib.colors import ListedColormap  # noqa: E402

#: colours of Semantic labels 0 background, 1 cosmic, 2 neutrino
SEMANTIC_COLOURS = ("#ffffff", "#1f77b4", "#d62728")
SEMANTIC_NAMES = ("background", "cosmic", "neutrino")
#: colours of ParticleKind labels 0..5
KIND_COLOURS = ("#ffffff", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#7f7f7f")
KIND_NAMES = ("background", "track", "shower", "Michel", "delta", "low energy")


def label_cmap(kind: str) -> tuple[ListedColormap, tuple[str, ...]]:
    """Colour map and class names for 'semantic' or 'kind' labels."""
    if kind == "semantic":
        return ListedColormap(SEMANTIC_COLOURS), SEMANTIC_NAMES
    return ListedColormap(KIND_COLOURS), KIND_NAMES
