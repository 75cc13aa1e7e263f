"""Jet-image preprocessing on hand-made particle lists: centring, rotation, flip, pixelisation."""

from __future__ import annotations

from jet_particles import massless
import numpy as np
import pytest

from argonet.sim.jets.preprocess import (flip_right, jet_image, pixelise, principal_direction, pt_rap_phi, relative,
                                         rotate_down, wrap_phi)

PITCH = 0.08          # 20 pixels over [-0.8, 0.8]


def test_kinematics_and_centring_across_the_phi_seam():
    pt, rap, phi = pt_rap_phi(massless([50.0, 20.0], [1.2, -0.4], [3.1, -3.1]))
    np.testing.assert_allclose(pt, [50, 20])
    np.testing.assert_allclose(rap, [1.2, -0.4])                          # massless: rapidity = pseudorapidity
    np.testing.assert_allclose(phi, [3.1, -3.1])
    # a massive object: E = mT cosh y, pz = mT sinh y with mT^2 = m^2 + pT^2
    mt = np.hypot(170.0, 1000.0)
    _, rap_top, _ = pt_rap_phi(np.array([[1000.0, 0.0, mt * np.sinh(1.5), mt * np.cosh(1.5)]]))
    assert rap_top[0] == pytest.approx(1.5)
    x, y = relative(rap, phi, 1.2, 3.1)
    np.testing.assert_allclose(x, [0.0, -1.6], atol=1e-12)
    np.testing.assert_allclose(y, [0.0, 2 * np.pi - 6.2], atol=1e-12)      # -3.1 is 0.083 past +pi, not 6.2 away
    assert wrap_phi(np.pi) == pytest.approx(-np.pi) and wrap_phi(-np.pi) == pytest.approx(-np.pi)


@pytest.mark.parametrize("direction", [(1.0, 0.0), (0.0, 1.0), (-0.3, 0.4), (0.2, -0.7)])
def test_rotation_puts_the_direction_straight_down_and_keeps_distances(direction):
    x, y = np.array([direction[0], 0.1, -0.25]), np.array([direction[1], 0.3, 0.05])
    xr, yr = rotate_down(x, y, direction)
    length = np.hypot(*direction)
    np.testing.assert_allclose([xr[0], yr[0]], [0.0, -length], atol=1e-12)
    np.testing.assert_allclose(np.hypot(xr, yr), np.hypot(x, y))                       # a rotation keeps radii
    np.testing.assert_allclose(np.hypot(xr[1] - xr[2], yr[1] - yr[2]), np.hypot(x[1] - x[2], y[1] - y[2]))
    assert np.linalg.det(np.array([[xr[1], xr[2]], [yr[1], yr[2]]])) == pytest.approx(
        np.linalg.det(np.array([[x[1], x[2]], [y[1], y[2]]])))                          # no mirror image
    same = rotate_down(x, y, (0.0, 0.0))
    np.testing.assert_array_equal(same[0], x)


def test_principal_axis_points_to_the_heavier_side():
    # particles on the diagonal y = x, more pT on the upper right
    x = np.array([0.3, 0.1, -0.2])
    u = principal_direction(x, x.copy(), np.array([5.0, 1.0, 2.0]))
    np.testing.assert_allclose(u, [np.sqrt(0.5), np.sqrt(0.5)])
    u = principal_direction(x, x.copy(), np.array([1.0, 1.0, 20.0]))
    np.testing.assert_allclose(u, [-np.sqrt(0.5), -np.sqrt(0.5)])
    square = np.array([1.0, -1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0, -1.0])
    assert principal_direction(*square, np.ones(4)) == (0.0, 0.0)                      # no preferred axis


def test_flip_moves_the_heavier_half_to_the_right():
    x, y = np.array([-0.3, 0.2]), np.zeros(2)
    np.testing.assert_array_equal(flip_right(x, y, np.array([5.0, 1.0])), [0.3, -0.2])
    np.testing.assert_array_equal(flip_right(x, y, np.array([1.0, 5.0])), x)


def test_pixelisation_grid():
    # pixel (i, j) covers y in [-0.8 + i p, ...) and x in [-0.8 + j p, ...); centres at (k - 10 + 0.5) p
    x = np.array([0.0, 0.5 * PITCH, -9.5 * PITCH, 3.5 * PITCH, 0.81, -0.2])
    y = np.array([0.0, -2.5 * PITCH, 9.5 * PITCH, 3.5 * PITCH, 0.0, -0.9])
    image = pixelise(x, y, np.array([1.0, 2.0, 3.0, 4.0, 100.0, 100.0]), 20, 0.8)
    assert image.shape == (20, 20) and image.dtype == np.float32
    assert image[10, 10] == 1.0                      # (0, 0) is the lower-left corner of pixel (10, 10)
    assert image[7, 10] == 2.0 and image[19, 0] == 3.0 and image[13, 13] == 4.0
    assert image.sum() == pytest.approx(10.0)        # the two outside the window are dropped
    image = pixelise(np.array([0.5 * PITCH]), np.array([0.5 * PITCH]), np.array([7.0]), 20, 0.8)
    assert image[10, 10] == 7.0 and image.sum() == 7.0


def test_jet_image_centres_rotates_flips_and_pixelises():
    # leading particle at (0.5, 1.0); the second subjet 0.28 away in +eta; a third 0.12 away in phi
    eta0, phi0 = 0.5, 1.0
    for dphi in (0.12, -0.12):
        constituents = massless([500.0, 300.0, 100.0], [eta0, eta0 + 0.28, eta0], [phi0, phi0, phi0 + dphi])
        image = jet_image(constituents, (eta0, phi0), (eta0 + 0.28, phi0), 20, 0.8)
        # second subjet straight down: y = -0.28 -> row 6; the third 0.12 to the side, flipped to the right -> col 11
        assert image[10, 10] == pytest.approx(500.0) and image[6, 10] == pytest.approx(300.0)
        assert image[10, 11] == pytest.approx(100.0) and image.sum() == pytest.approx(900.0)
    unrotated = jet_image(constituents, (eta0, phi0), (eta0 + 0.28, phi0), 20, 0.8, rotate=False, flip=False)
    assert unrotated[10, 13] == pytest.approx(300.0) and unrotated[8, 10] == pytest.approx(100.0)
    normalised = jet_image(constituents, (eta0, phi0), (eta0 + 0.28, phi0), 20, 0.8, pt_unit_GeV=900.0)
    assert normalised.sum() == pytest.approx(1.0)
    # no second subjet: the principal axis (towards the heavier side) points down instead
    two = massless([300.0, 100.0], [eta0, eta0], [phi0 + 0.2, phi0 - 0.2])
    image = jet_image(two, (eta0, phi0), None, 20, 0.8)
    assert image[7, 10] == pytest.approx(300.0) and image[12, 10] == pytest.approx(100.0)
