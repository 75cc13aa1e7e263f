"""Per-class image folders: listing, class order, loading as float32 (C, H, W), clear errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from argonet.errors import FormatError
from argonet.io import load_image, save_image, scan_image_folder

SHARED = Path(__file__).parents[2].parent / "shared"


@pytest.fixture
def tree(tmp_path):
    """root/track (2 PNG), root/shower (1 JPEG + 1 npy), root/.hidden, plus a stray file."""
    root = tmp_path / "images"
    (root / "track").mkdir(parents=True)
    (root / "shower").mkdir()
    (root / ".hidden").mkdir()
    grey = np.zeros((6, 8), np.uint8)
    grey[2, 3] = 255
    Image.fromarray(grey).save(root / "track" / "b.png")
    Image.fromarray(np.full((6, 8, 3), 51, np.uint8)).save(root / "track" / "a.png")
    Image.fromarray(np.full((6, 8), 128, np.uint8)).save(root / "shower" / "c.jpg")
    np.save(root / "shower" / "d.npy", np.arange(2 * 6 * 8, dtype=np.float64).reshape(2, 6, 8))
    (root / "track" / "notes.txt").write_text("not an image")
    return root


def test_classes_sorted_and_files_listed(tree):
    folder = scan_image_folder(tree)
    assert folder.class_names == ["shower", "track"]
    assert [p.name for p in folder.files] == ["c.jpg", "d.npy", "a.png", "b.png"]
    assert folder.labels.tolist() == [0, 0, 1, 1] and folder.labels.dtype == np.int64
    assert folder.class_counts() == {"shower": 2, "track": 2}
    assert len(pickle.loads(pickle.dumps(folder))) == 4


def test_class_order_can_be_fixed(tree):
    folder = scan_image_folder(tree, class_names=["track", "shower"])
    assert folder.labels.tolist() == [0, 0, 1, 1] and folder.files[0].name == "a.png"
    with pytest.raises(FormatError, match="michel"):
        scan_image_folder(tree, class_names=["track", "michel"])


def test_images_load_as_float32_channels_first(tree):
    grey = load_image(tree / "track" / "b.png")
    assert grey.shape == (1, 6, 8) and grey.dtype == np.float32
    assert grey[0, 2, 3] == 1.0 and grey.sum() == 1.0        # 8-bit 255 -> 1.0
    rgb = load_image(tree / "track" / "a.png")
    assert rgb.shape == (3, 6, 8) and np.allclose(rgb, 51 / 255)
    jpeg = load_image(tree / "shower" / "c.jpg")
    assert jpeg.shape == (1, 6, 8) and np.allclose(jpeg, 128 / 255, atol=2 / 255)
    array = load_image(tree / "shower" / "d.npy")
    assert array.shape == (2, 6, 8) and array.dtype == np.float32 and array[1, 5, 7] == 95.0


def test_alpha_and_sixteen_bit(tmp_path):
    Image.fromarray(np.full((4, 4, 4), 255, np.uint8)).save(tmp_path / "rgba.png")
    assert load_image(tmp_path / "rgba.png").shape == (3, 4, 4)
    deep = np.full((4, 4), 65535, np.uint16)
    deep[0, 0] = 0
    Image.fromarray(deep).save(tmp_path / "deep.png")
    loaded = load_image(tmp_path / "deep.png")
    assert loaded.shape == (1, 4, 4) and loaded[0, 0, 0] == 0.0 and loaded[0, 1, 1] == 1.0


def test_save_and_reload(tmp_path):
    image = np.linspace(0, 1, 3 * 5 * 7, dtype=np.float32).reshape(3, 5, 7)
    assert np.array_equal(load_image(save_image(tmp_path / "x.npy", image)), image)
    png = load_image(save_image(tmp_path / "x.png", image))
    assert png.shape == (3, 5, 7) and np.allclose(png, image, atol=0.5 / 255 + 1e-7)
    with pytest.raises(FormatError, match="x.tif"):
        save_image(tmp_path / "x.tif", image)


def test_real_protodune_picture():
    # protodune_trackshower_jpg/README.md: 1024 x 1024 greyscale input, 1024 x 1024 RGB truth
    folder = SHARED / "data/protodune_trackshower_jpg"
    picture = folder / "InputImage_ProtoDUNE_CaloHitListW_0.jpg"
    if not picture.is_file():
        pytest.fail(f"shared reference file missing: {picture}")
    grey = load_image(picture)
    assert grey.shape == (1, 1024, 1024) and 0.0 <= grey.min() and grey.max() <= 1.0 and grey.max() > 0
    assert load_image(folder / "TruthImage_ProtoDUNE_CaloHitListW_0.jpg").shape == (3, 1024, 1024)


def test_unreadable_files_name_the_file(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(FormatError, match="broken.png"):
        load_image(broken)
    np.save(tmp_path / "line.npy", np.zeros(5))
    with pytest.raises(FormatError, match="line.npy"):
        load_image(tmp_path / "line.npy")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match="objects.npy"):
        load_image(tmp_path / "objects.npy")


def test_folder_errors(tmp_path):
    with pytest.raises(FormatError, match="not found"):
        scan_image_folder(tmp_path / "nowhere")
    with pytest.raises(FormatError, match="no class sub-folders"):
        scan_image_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FormatError, match="empty_class"):
        scan_image_folder(tmp_path)
