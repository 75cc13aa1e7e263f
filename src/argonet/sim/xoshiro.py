"""A small, fast random stream for numba kernels: xoshiro256** seeded through splitmix64.

Noise generation draws a few random numbers per (wire group, row) cell of every image, so the
cost of each draw matters: numba's ``np.random`` (Mersenne Twister, Box–Muller) spends 15-50 ns
per number, this generator about 2 ns per uniform and 10 ns per normal (Marsaglia's polar
method, no sin/cos). Algorithms: D. Blackman and S. Vigna, "Scrambled linear pseudorandom
number generators" (2018). The state is a uint64[4] array owned by the caller, so a stream is
reproducible from its seed and independent of any global state.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0     # 2**-53


def new_state(seed: int) -> np.ndarray:
    """The uint64[4] state of a stream, expanded from a seed with splitmix64."""
    state = np.zeros(4, np.uint64)
    x = int(seed) % 2 ** 64
    for i in range(4):
        x = (x + int(_GOLDEN)) % 2 ** 64
        z = x
        z = ((z ^ (z >> 30)) * int(_MIX1)) % 2 ** 64
        z = ((z ^ (z >> 27)) * int(_MIX2)) % 2 ** 64
        state[i] = z ^ (z >> 31)
    return state


@numba.njit(cache=True)
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True)
def next_u64(state):
    """The next 64 random bits (xoshiro256**), advancing the state."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    state[0], state[1], state[2], state[3] = s0, s1, s2, _rotl(s3, 45)
    return result


@numba.njit(cache=True)
def uniform(state):
    """A uniform variate in (0, 1] (never 0, so its logarithm is finite)."""
    return ((next_u64(state) >> np.uint64(11)) + np.uint64(1)) * _TO_UNIT


@numba.njit(cache=True)
def below(state, n):
    """A uniform integer in [0, n) for 0 < n < 2**32 (multiply-shift; bias < n / 2**32)."""
    return np.int64(((next_u64(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@numba.njit(cache=True)
def normals(state, out):
    """Fill out with independent standard normal variates (Marsaglia's polar method)."""
    for i in range(0, len(out), 2):
        while True:
            a = 2.0 * uniform(state) - 1.0
            b = 2.0 * uniform(state) - 1.0
            r2 = a * a + b * b
            if 0.0 < r2 < 1.0:
                break
        scale = math.sqrt(-2.0 * math.log(r2) / r2)
        out[i] = a * scale
        if i + 1 < len(out):
            out[i + 1] = b * scale
