"""Per-class image folders (``root/<class_name>/*.png|*.jpg|*.npy``), as workshop tutorials ship them.

Class names are the sub-folder names, sorted (so label ids are stable across machines). Images
load as float32 ``(C, H, W)``: 8-bit pictures scaled to [0, 1] (16-bit by 1/65535), alpha
dropped, ``.npy`` arrays kept as stored (2-D becomes one channel, 3-D is read as (C, H, W)).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from argonet.errors import FormatError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy")
_SCALE_BY_MODE = {"1": 1.0, "L": 255.0, "LA": 255.0, "P": 255.0, "RGB": 255.0, "RGBA": 255.0,
                  "CMYK": 255.0, "I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0,
                  "I": 65535.0,   # Pillow opens 16-bit grey PNGs as 32-bit "I"
                  "F": 1.0}


@dataclass
class ImageFolder:
    """The images of a class-folder tree: file paths and integer labels indexing ``class_names``."""

    root: Path
    class_names: list[str]
    files: list[Path]
    labels: np.ndarray      # (n,) int64

    def __len__(self) -> int:
        """Number of images."""
        return len(self.files)

    def load(self, i: int) -> tuple[np.ndarray, int]:
        """Image ``i`` as float32 (C, H, W) and its label."""
        return load_image(self.files[i]), int(self.labels[i])

    def class_counts(self) -> dict[str, int]:
        """Number of images per class (to spot imbalance before training)."""
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return dict(zip(self.class_names, counts.tolist()))


def scan_image_folder(root: str | os.PathLike, class_names: Sequence[str] | None = None,
                      suffixes: Sequence[str] = IMAGE_SUFFIXES) -> ImageFolder:
    """List ``root/<class>/*`` images; ``class_names`` fixes which classes and their order.

    Raises FormatError when the root or a class folder is missing or a class folder holds no image.
    """
    root = Path(root)
    if not root.is_dir():
        raise FormatError("image folder not found", file=str(root))
    present = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if class_names is None:
        class_names = present
        if not class_names:
            raise FormatError("no class sub-folders (expected root/<class_name>/<image files>)", file=str(root))
    wanted = {s.lower() for s in suffixes}
    files: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(class_names):
        folder = root / name
        if not folder.is_dir():
            raise FormatError(f"class folder {name!r} not found", file=str(root), product=name, available=present)
        found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in wanted)
        if not found:
            raise FormatError(f"class folder {name!r} holds no {', '.join(sorted(wanted))} file", file=str(folder))
        files.extend(found)
        labels.extend([label] * len(found))
    return ImageFolder(root, list(class_names), files, np.asarray(labels, np.int64))


def load_image(path: str | os.PathLike) -> np.ndarray:
    """One image file as float32 (C, H, W); FormatError naming the file when it cannot be read."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".npy":
            return _from_array(np.load(path, allow_pickle=False), path)
        with Image.open(path) as picture:
            picture.load()
            return _from_picture(picture, path)
    except FormatError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, TypeError, MemoryError) as exc:
        raise FormatError(f"cannot read image ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                          file=str(path)) from exc


def _from_array(array: np.ndarray, path: Path) -> np.ndarray:
    """A stored array as float32 (C, H, W)."""
    if array.dtype.kind not in "uifb":
        raise FormatError(f"array of dtype {array.dtype} is not an image", file=str(path))
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise FormatError(f"array of shape {array.shape} is not an image (need (H, W) or (C, H, W))", file=str(path))
    return np.ascontiguousarray(array, np.float32)


def _from_picture(picture: Image.Image, path: Path) -> np.ndarray:
    """A PIL picture as float32 (C, H, W) scaled to [0, 1]; alpha dropped, palettes expanded."""
    mode = picture.mode
    if mode in ("P", "CMYK"):
        picture, mode = picture.convert("RGB"), "RGB"
    scale = _SCALE_BY_MODE.get(mode)
    if scale is None:
        raise FormatError(f"unsupported picture mode {mode!r}", file=str(path))
    array = np.asarray(picture, np.float32) / np.float32(scale)
    if array.ndim == 2:
        return np.ascontiguousarray(array[None])
    if mode in ("LA", "RGBA"):
        array = array[..., :-1]
    return np.ascontiguousarray(array.transpose(2, 0, 1))


def save_image(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Save (H, W) or (C, H, W) as ``.npy`` (exact) or 8-bit ``.png`` (values clipped to [0, 1]; C = 1 or 3)."""
    path = Path(path)
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3:
        raise FormatError(f"cannot save an array of shape {image.shape} as an image", file=str(path))
    if path.suffix.lower() == ".npy":
        np.save(path, image.astype(np.float32))
        return path
    if path.suffix.lower() != ".png" or image.shape[0] not in (1, 3):
        raise FormatError("only .npy, or .png with 1 or 3 channels, can be written", file=str(path))
    pixels = np.round(np.clip(image.astype(np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
    picture = Image.fromarray(pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0))
    picture.save(path)
    return path
