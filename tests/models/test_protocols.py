"""The duck-typed hooks as Protocols: the networks, tasks and datasets that offer them satisfy them."""

from __future__ import annotations

from argonet.conf.data import DataConfig
from argonet.data.datasets import SegmentationDataset, SparseDataset
from argonet.data.protocols import AugmentedDataset, BatchReadingDataset
from argonet.models.protocols import ChecksImageShape, GroupedModel, TransferModel
from argonet.models.registry import get_model
from argonet.tasks.classify import ClassifyTask
from argonet.tasks.segment import SegmentTask
from argonet.train.engine import Task


def test_networks_offer_the_interfaces_they_are_used_through():
    resnet = get_model("resnet18", num_classes=4, in_chans=3)
    assert isinstance(resnet, TransferModel) and isinstance(resnet, GroupedModel)
    assert not isinstance(resnet, ChecksImageShape)
    uresnet = get_model("uresnet", num_classes=3, in_chans=3, depth=2, filters=2)
    assert isinstance(uresnet, ChecksImageShape) and not isinstance(uresnet, TransferModel)


def test_tasks_are_what_the_engine_trains():
    assert isinstance(ClassifyTask(["a", "b"]), Task)
    assert isinstance(SegmentTask(["background", "cosmic", "neutrino"]), Task)
    assert not isinstance(object(), Task)


def test_datasets_read_batches_and_drop_augmentation(sample_path):
    dataset = SegmentationDataset.from_config(DataConfig(file=str(sample_path), downsample=16, augment=["wire"]))
    assert isinstance(dataset, BatchReadingDataset) and dataset.reads_batches
    assert isinstance(dataset, AugmentedDataset) and dataset.without_augment().augment == ()
    sparse = SparseDataset.from_config(DataConfig(file=str(sample_path)))
    assert not (isinstance(sparse, BatchReadingDataset) and sparse.reads_batches)
