"""File formats: larcv3 HDF5 (read and write), per-class image folders, jet-image HDF5. Numpy in, numpy out."""

from argonet.io.atomic import AtomicPath
from argonet.io.folders import ImageFolder, load_image, save_image, scan_image_folder
from argonet.io.jets import JetImageChain, JetImageFile, JetImages, read_jet_images, write_jet_images
from argonet.io.larcv3_batch import SparseBatch
from argonet.io.larcv3_chain import Larcv3Chain
from argonet.io.larcv3_layout import (
    CHARGE_PRODUCER,
    KIND_PRODUCER,
    LARCV_PARTICLE_DTYPE,
    NEUTRINO_PRODUCER,
    PARTICLE_PRODUCER,
    SEMANTIC_PRODUCER,
    VoxelMeta,
    particles_from_larcv,
    particles_to_larcv,
    process_text,
)
from argonet.io.larcv3_read import Larcv3File
from argonet.io.larcv3_write import Larcv3Writer, write_events

__all__ = [
    "AtomicPath", "ImageFolder", "load_image", "save_image", "scan_image_folder",
    "JetImageChain", "JetImageFile", "JetImages", "read_jet_images", "write_jet_images",
    "SparseBatch", "Larcv3Chain", "Larcv3File", "Larcv3Writer", "write_events",
    "CHARGE_PRODUCER", "SEMANTIC_PRODUCER", "KIND_PRODUCER", "PARTICLE_PRODUCER", "NEUTRINO_PRODUCER",
    "LARCV_PARTICLE_DTYPE", "VoxelMeta", "particles_from_larcv", "particles_to_larcv", "process_text",
]
