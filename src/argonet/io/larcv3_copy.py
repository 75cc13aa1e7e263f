"""A larcv3 file copied with extra product groups added: how predictions join the events they were made on."""

from __future__ import annotations

import os
from pathlib import Path

import h5py

from argonet.errors import FormatError
from argonet.io.atomic import AtomicPath


def copy_with_products(source: str | os.PathLike, extra: str | os.PathLike, output: str | os.PathLike,
                       overwrite: bool = False) -> Path:
    """``output``: a copy of larcv3 file ``source`` (groups, datasets, attributes as stored) with the
    product groups of ``extra`` added under ``Data/``; written under a temporary name, then renamed."""
    with AtomicPath(output, overwrite) as out, h5py.File(source, "r") as src, h5py.File(extra, "r") as add, \
            h5py.File(out.tmp, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for name in src:
            src.copy(src[name], dst, name=name)
        data = dst.require_group("Data")
        for name in add["Data"]:
            if name in data:
                raise FormatError(f"already holds the product group {name}", file=str(source))
            add.copy(add["Data"][name], data, name=name)
    return out.path
