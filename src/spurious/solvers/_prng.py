"""Per-trial xoshiro256++ streams, twinned: a vectorized numpy-uint64 version and a numba one.

Every trial ``t`` of grid cell ``c`` in a run seeded with ``seed`` owns one xoshiro256++
generator (Blackman & Vigna 2019, "Scrambled linear pseudorandom number generators")
whose 256-bit state is the four uint64 words ``SeedSequence(seed, spawn_key=(c, t))
.generate_state(4)`` (:func:`spurious.core._rng.trial_seeds`). The numpy functions below advance
all trials of a batch at once (state as a ``(4, T)`` uint64 array); :func:`next_u64` and
:func:`index` are the same arithmetic for one trial inside numba kernels. Both produce the
same numbers bit for bit (tests/solvers/test_sgd.py), so every backend of
:func:`spurious.sgd` consumes identical random numbers, whatever the batch
size, chunking or number of workers.

Conventions (the order in which a trial consumes its stream):

* uniform index in ``[0, m)``: Lemire's multiply-shift on the top 32 bits,
  ``i = ((u >> 32) · m) >> 32`` (no rejection step: the bias is at most ``m / 2³²``,
  below 10⁻⁶ for ``m ≤ 4000``; ``m < 2³²`` is required);
* uniform double in ``[0, 1)``: ``(u >> 11) · 2⁻⁵³``;
* standard Gaussians by Box–Muller from two consecutive outputs ``u1, u2``:
  ``ρ = sqrt(−2 ln(((u1 >> 11) + 1) · 2⁻⁵³))``, ``g = (ρ cos 2πv, ρ sin 2πv)``,
  ``v = (u2 >> 11) · 2⁻⁵³``; an odd count discards the last sine.
"""

from __future__ import annotations

import numpy as np

from spurious.core._rng import trial_seeds

_U = np.uint64
_MASK32 = _U(0xFFFFFFFF)
_TWO53 = 1.0 / 9007199254740992.0  # 2⁻⁵³


# SeedSequence's hash constants (numpy/random/bit_generator.pyx; O'Neill's seed_seq_fe).
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_M32 = 0xFFFFFFFF


def _int_words(v: int) -> list[int]:
    """numpy's ``_int_to_uint32_array``: little-endian 32-bit words, ``[0]`` for 0."""
    words = [0] if v == 0 else []
    while v > 0:
        words.append(v & _M32)
        v >>= 32
    return words


def seedsequence_words(seed: int, cell: int, trials: np.ndarray, words: int = 4) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(cell, t)).generate_state(words, uint64)`` for every ``t``, vectorized.

    The same numbers as :func:`spurious.core._rng.trial_seeds` (tested), without one Python
    SeedSequence per trial: the hash's control flow does not depend on the data, so it runs
    on uint32 arrays over all trials at once. Needs ``0 ≤ t < 2³²`` (one word per trial index).
    Returns ``(T, words)`` uint64.
    """
    t = np.asarray(trials, dtype=np.int64).ravel()
    if t.size and (t.min() < 0 or t.max() >= 2**32):
        raise ValueError("trial indices must lie in [0, 2**32)")
    u32 = np.uint32
    run = _int_words(int(seed))
    run += [0] * max(0, 4 - len(run))  # numpy pads the run entropy when there is a spawn key
    entropy: list = [np.full(t.size, w, dtype=u32) for w in run + _int_words(int(cell))]
    entropy.append(t.astype(u32))
    h = [_INIT_A]

    def hashmix(value: np.ndarray) -> np.ndarray:
        value = value ^ u32(h[0])
        h[0] = (h[0] * _MULT_A) & _M32
        value = value * u32(h[0])
        return value ^ (value >> u32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = x * u32(_MIX_L) - y * u32(_MIX_R)
        return r ^ (r >> u32(16))

    pool = [hashmix(entropy[i]) for i in range(4)]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))
    for i_src in range(4, len(entropy)):
        for i_dst in range(4):
            pool[i_dst] = mix(pool[i_dst], hashmix(entropy[i_src]))
    hb = _INIT_B
    out32 = np.empty((t.size, 2 * words), dtype=u32)
    for k in range(2 * words):
        val = pool[k % 4] ^ u32(hb)
        hb = (hb * _MULT_B) & _M32
        val = val * u32(hb)
        out32[:, k] = val ^ (val >> u32(16))
    return out32.astype("<u4").view("<u8").astype(np.uint64)


def seed_states(seed: int, trials: np.ndarray, cell: int = 0) -> np.ndarray:
    """xoshiro256++ states ``(4, T)`` uint64 of the given trial indices (DESIGN: one stream per trial).

    The state of trial ``t`` is ``SeedSequence(seed, spawn_key=(cell, t)).generate_state(4, uint64)``
    (:func:`seedsequence_words`, equal to :func:`spurious.core._rng.trial_seeds`). An all-zero
    state (probability 2⁻²⁵⁶) would be a fixed point; it is replaced by the splitmix64
    expansion of the trial index.
    """
    t = np.asarray(trials, dtype=np.int64).ravel()
    if t.size and (t.min() < 0 or t.max() >= 2**32):
        words = trial_seeds(seed, t, cell, words=4)
    else:
        words = seedsequence_words(seed, cell, t, 4)
    s = np.ascontiguousarray(words.T)
    zero = ~np.any(s, axis=0)
    if np.any(zero):  # pragma: no cover - 2⁻²⁵⁶
        for k in np.flatnonzero(zero):
            s[:, k] = _splitmix64_words(int(np.asarray(trials).ravel()[k]), 4)
    return s


def _splitmix64_words(x: int, count: int) -> np.ndarray:
    out = np.empty(count, dtype=np.uint64)
    mask = (1 << 64) - 1
    for k in range(count):
        x = (x + 0x9E3779B97F4A7C15) & mask
        zz = x
        zz = ((zz ^ (zz >> 30)) * 0xBF58476D1CE4E5B9) & mask
        zz = ((zz ^ (zz >> 27)) * 0x94D049BB133111EB) & mask
        out[k] = zz ^ (zz >> 31)
    return out


def _rotl(x: np.ndarray, k: int) -> np.ndarray:
    return (x << _U(k)) | (x >> _U(64 - k))


def next_u64_np(s: np.ndarray) -> np.ndarray:
    """One xoshiro256++ output per trial; advances the ``(4, T)`` state ``s`` in place."""
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]  # views
    out = _rotl(s0 + s3, 23) + s0
    t = s1 << _U(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s[3] = _rotl(s3, 45)
    return out


def index_np(s: np.ndarray, m: int) -> np.ndarray:
    """Uniform indices in ``[0, m)``, one per trial (Lemire multiply-shift, module docstring)."""
    if not 0 < m < 2**32:
        raise ValueError(f"m = {m}: need 0 < m < 2**32")
    u = next_u64_np(s)
    return (((u >> _U(32)) * _U(m)) >> _U(32)).astype(np.int64)


def indices_np(s: np.ndarray, m: int, steps: int) -> np.ndarray:
    """``(steps, T)`` uniform indices: ``steps`` consecutive draws of :func:`index_np`."""
    out = np.empty((steps, s.shape[1]), dtype=np.int64)
    for k in range(steps):
        out[k] = index_np(s, m)
    return out


def uniform_np(s: np.ndarray) -> np.ndarray:
    """Uniform doubles in ``[0, 1)``, one per trial."""
    return (next_u64_np(s) >> _U(11)).astype(np.float64) * _TWO53


def gaussians_np(s: np.ndarray, count: int) -> np.ndarray:
    """``(T, count)`` standard Gaussians per trial by Box–Muller (module docstring)."""
    T = s.shape[1]
    pairs = (count + 1) // 2
    out = np.empty((T, 2 * pairs))
    for k in range(pairs):
        u1 = ((next_u64_np(s) >> _U(11)).astype(np.float64) + 1.0) * _TWO53
        v = uniform_np(s)
        rho = np.sqrt(-2.0 * np.log(u1))
        out[:, 2 * k] = rho * np.cos(2.0 * np.pi * v)
        out[:, 2 * k + 1] = rho * np.sin(2.0 * np.pi * v)
    return out[:, :count]


# ----------------------------------------------------------------------------- scalar twins
# Plain functions of np.uint64 scalars, compiled by numba in :mod:`._sgd_kernels`
# (``njit(inline="always")``); numpy scalars would warn on the intended wrap-around.


def next_u64(s0, s1, s2, s3):
    """One xoshiro256++ step of one trial: ``(out, s0, s1, s2, s3)`` (twin of :func:`next_u64_np`)."""
    w = s0 + s3
    out = ((w << np.uint64(23)) | (w >> np.uint64(41))) + s0
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    return out, s0, s1, s2, s3


def lemire_index(u, m):
    """Uniform index in ``[0, m)`` from one output ``u`` (``m`` a uint64; twin of :func:`index_np`)."""
    return (u >> np.uint64(32)) * m >> np.uint64(32)
