"""Random draws for the transport kernels, on a xoshiro256** stream (``argonet.sim.xoshiro``).

The stream state is a uint64[4] array seeded from the caller's ``np.random.Generator``, so
transport is reproducible from the generator's state and independent of global state.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from argonet.sim.xoshiro import new_state, uniform

#: Above this mean the Poisson draw uses a Gaussian approximation.
POISSON_GAUSSIAN_MEAN = 30.0


def stream_from(rng: np.random.Generator) -> np.ndarray:
    """A kernel random stream seeded by one draw from rng."""
    return new_state(int(rng.integers(0, 2**63 - 1)))


@njit(cache=True, inline="always")
def exponential(state, mean):
    """Exponential variate with the given (finite) mean."""
    return -mean * math.log(uniform(state))


@njit(cache=True)
def normal_pair(state):
    """Two independent standard normal variates (Marsaglia's polar method)."""
    while True:
        a = 2.0 * uniform(state) - 1.0
        b = 2.0 * uniform(state) - 1.0
        r2 = a * a + b * b
        if 0.0 < r2 < 1.0:
            scale = math.sqrt(-2.0 * math.log(r2) / r2)
            return a * scale, b * scale


@njit(cache=True)
def poisson(state, mean):
    """Poisson variate: Knuth's product of uniforms for small means, Gaussian above."""
    if mean <= 0.0:
        return 0
    if mean > POISSON_GAUSSIAN_MEAN:
        return max(0, int(mean + math.sqrt(mean) * normal_pair(state)[0] + 0.5))
    limit = math.exp(-mean)
    count, product = 0, uniform(state)
    while product > limit:
        count += 1
        product *= uniform(state)
    return count


@njit(cache=True)
def isotropic(state):
    """A direction uniform on the sphere."""
    cos_theta = 2.0 * uniform(state) - 1.0
    sin_theta = math.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
    phi = 2.0 * math.pi * uniform(state)
    return sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta
