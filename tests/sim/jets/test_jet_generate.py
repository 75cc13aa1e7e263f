"""A tiny Pythia run: labels by process, shapes, physical masses, and jets that do not depend on sharding."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.conf.jets import JetOptions
from argonet.errors import ConfigError, DataError
from argonet.sim.jets import FEATURE_DTYPE, generate_jets
from argonet.sim.jets.pythia import PYTHIA_SEED_MAX, event_seed
from argonet.units import top_quark_mass_GeV, w_boson_mass_GeV


@pytest.fixture(scope="module")
def options() -> JetOptions:
    """Gluon, top and W jets without the underlying event (fast), with the groomed image."""
    return JetOptions(classes=["w", "g", "t"], mpi=False, groomed_image=True)


@pytest.fixture(scope="module")
def jets(options):
    """Jets 0..5 of seed 11."""
    return generate_jets(options, 11, range(6), progress=False)


def test_labels_follow_the_process_and_shapes_match_the_layout(options, jets):
    images, labels, features, _ = jets
    assert options.class_names == ["gluon", "top", "W"]                     # label order g, q, t, w, z
    assert images.shape == (6, 20, 20) and images.dtype == np.float32 and (images >= 0).all()
    assert labels.tolist() == [0, 1, 2, 0, 1, 2]
    assert features.dtype == FEATURE_DTYPE and features["index"].tolist() == list(range(6))
    pt = features["pt_GeV"]
    assert ((pt >= options.pt_GeV_min) & (pt <= options.pt_GeV_max)).all() and (np.abs(features["eta"]) < 2).all()
    # pixels hold pT in GeV: the image holds most of the jet (the window is the jet's size)
    assert ((images.sum(axis=(1, 2)) > 0.85 * pt) & (images.sum(axis=(1, 2)) < 1.05 * pt)).all()
    # the image is centred on the leading subjet's hardest particle: the pixel above and right of the centre
    assert (images[:, 10, 10] > 0.05 * pt).all()


def test_boson_and_top_jets_carry_their_mass(jets):
    # every decay quark is inside the jet: the jet mass is near the W mass (no underlying event here,
    # radiation in and out of the cone moves it by some GeV), above it for tops
    _, labels, features, _ = jets
    mass = features["mass_GeV"]
    assert np.all(np.abs(mass[labels == 2] - w_boson_mass_GeV) < 0.2 * w_boson_mass_GeV)
    assert np.all(mass[labels == 1] > 0.8 * top_quark_mass_GeV)


def test_a_shard_makes_the_same_jets(options, jets):
    images, labels, features, groomed = generate_jets(options, 11, [4, 1], progress=False)   # a fresh Pythia per class
    np.testing.assert_array_equal(images, jets[0][[4, 1]])
    np.testing.assert_array_equal(features, jets[2][[4, 1]])
    np.testing.assert_array_equal(groomed, jets[3][[4, 1]])
    other = generate_jets(options, 12, [1], progress=False)[0]
    assert not np.array_equal(other[0], jets[0][1])


def test_groomed_image_is_the_soft_drop_part_of_the_same_frame(jets):
    """Soft drop only removes constituents: the groomed image lies under the full one pixel by pixel
    (same centre, rotation and flip), and its pixels add up to no more than the jet pT."""
    images, _, features, groomed = jets
    assert groomed.shape == images.shape and (groomed <= images + 1e-4).all()
    assert (groomed.sum(axis=(1, 2)) > 0.5 * features["pt_GeV"]).all()
    assert (groomed.sum(axis=(1, 2)) <= images.sum(axis=(1, 2)) + 1e-3).all()
    assert (groomed < images - 1e-3).any()          # something was groomed away
    assert generate_jets(JetOptions(classes=["w"], mpi=False), 11, [0], progress=False)[3] is None


def test_event_seeds_are_distinct_and_valid():
    seeds = [event_seed(s, i) for s in (0, 1) for i in range(1000)]
    assert len(set(seeds)) == len(seeds) and min(seeds) >= 1 and max(seeds) <= PYTHIA_SEED_MAX
    assert 1 <= event_seed(10**12, 10**12) <= PYTHIA_SEED_MAX


def test_impossible_windows_and_bad_options_are_refused():
    with pytest.raises(DataError, match=r"no g jet with 3000(\.0)? <= pT <= 3100(\.0)? GeV.*in 3 events"):
        generate_jets(JetOptions(classes=["g"], mpi=False, pt_GeV_min=3000, pt_GeV_max=3100, max_tries=3), 0, [0],
                      progress=False)
    with pytest.raises(ConfigError, match=r"^generator.jets.classes: unknown jet class 'b'"):
        JetOptions(classes=["g", "b"])
    with pytest.raises(ConfigError, match=r"^generator.jets.pthat_GeV_min"):
        JetOptions(pthat_GeV_min=1000, pthat_GeV_max=900)
