"""Class-stratified splits: N of every class picked, the rest kept, disjoint and fixed by the seed."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.data.stratified import stratified_split
from argonet.errors import ConfigError, DataError

NAMES = ["NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"]


def labels_of(counts: list[int], seed: int = 3) -> np.ndarray:
    """Shuffled class indices with ``counts[k]`` entries of class k."""
    return np.random.default_rng(seed).permutation(np.repeat(np.arange(len(counts)), counts))


def test_picks_n_per_class_and_keeps_the_rest():
    labels = labels_of([200, 200, 200, 200])
    picked, rest = stratified_split(labels, 100, seed=0, n_classes=4)
    assert np.bincount(labels[picked], minlength=4).tolist() == [100] * 4
    assert np.bincount(labels[rest], minlength=4).tolist() == [100] * 4
    assert not set(picked) & set(rest) and len(picked) + len(rest) == 800
    assert np.all(np.diff(picked) > 0) and np.all(np.diff(rest) > 0)       # sorted entry indices


def test_uneven_classes_keep_all_surplus_in_the_rest():
    labels = labels_of([5, 9, 3])
    picked, rest = stratified_split(labels, 2, seed=1)
    assert np.bincount(labels[picked], minlength=3).tolist() == [2, 2, 2]
    assert np.bincount(labels[rest], minlength=3).tolist() == [3, 7, 1]


def test_same_seed_same_split_other_seed_other_split():
    labels = labels_of([50, 50, 50, 50])
    first, second = stratified_split(labels, 20, seed=7), stratified_split(labels, 20, seed=7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    other = stratified_split(labels, 20, seed=8)[0]
    assert not np.array_equal(first[0], other)


def test_too_few_events_of_a_class_names_it():
    labels = labels_of([10, 4, 10, 10])
    with pytest.raises(DataError, match=r"^per_class=4: class NUE_CC has 4 events; a stratified split needs more "
                                        r"than 4 of every class \(counts \{'NUMU_CC': 10, 'NUE_CC': 4"):
        stratified_split(labels, 4, seed=0, n_classes=4, class_names=NAMES)
    with pytest.raises(DataError, match="class NC has 0 events"):           # a class absent altogether
        stratified_split(labels_of([10, 10, 10]), 2, seed=0, n_classes=4, class_names=NAMES)
    with pytest.raises(ConfigError, match=r"^per_class: must be >= 1 \(got 0\)"):
        stratified_split(labels, 0, seed=0)
    with pytest.raises(DataError, match="label 3 is not one of the 2 classes"):
        stratified_split(labels, 1, seed=0, n_classes=2)
