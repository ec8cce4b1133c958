"""Tardos fingerprinting codes with Škorić's symmetric accusation, keyed by a secret.

Every issued copy of a document carries a binary codeword of ``m`` positions. Position ``i`` has a secret bias
``p_i = sin²(r_i)``, ``r_i`` uniform on ``[t', π/2 − t']`` with ``t' = arcsin √t`` (the arcsine density
``∝ 1/√(p(1−p))`` cut off at ``t``), and recipient ``j`` holds ``X_ji = 1`` with probability ``p_i``. Biases and
codewords are derived from the key: ``HMAC-SHA256(key, label ‖ document [‖ recipient])`` seeds a SHAKE-256 stream
(the DRBG), so the same key and document id reproduce the same code, and a recipient's codeword is reproducible on
its own, without the rest of the codebook.

Accusation (Škorić, Katzenbeisser, Celik 2008, symmetric score). For a pirate symbol ``y_i`` and a user symbol
``X_ji``: ``U = +√((1−p)/p)`` if both are 1, ``−√(p/(1−p))`` if ``y=1, X=0``, ``+√(p/(1−p))`` if both are 0 and
``−√((1−p)/p)`` if ``y=0, X=1``; erased positions score 0. ``S_j = Σ_i U_ji``. An innocent's codeword is
independent of the pirate copy given the biases, so its ``U_i`` are independent with mean 0, variance 1 and
``|U_i| ≤ b = √((1−t)/t)``, whatever the colluders or the channel did. Two rigorous thresholds follow:

- **analytic** (:func:`bernstein_threshold`): Bernstein's inequality ``P(S > Z) ≤ exp(−Z²/(2(m + bZ/3)))`` gives
  ``Z = (a + √(a² + 8mL))/2`` with ``a = 2bL/3``, ``L = ln(1/ε₁)``; needs only ``m`` and ``t``.
- **operational** (:func:`operational_threshold`, in the spirit of Furon & Desoubeaux, "Tardos codes for real",
  WIFS 2014: after a leak, bound the false-accusation probability for *this* code and *this* pirate copy rather than
  for the worst case): the Chernoff bound with the exact moment generating function of the two-point variables,
  ``P(S ≥ z) ≤ min_λ exp(Σ_i ln E[e^{λU_i}] − λz)``. Also rigorous (conditional on the biases and the pirate copy)
  and never above the Bernstein bound; :func:`accuse` uses it.

The empirical estimate (:func:`estimate_false_accusation`) is a rare-event simulation by importance sampling with
exponential tilting (the innocent codeword is drawn with ``q_i ∝ p_i e^{λU_i(1)}`` at the Chernoff ``λ`` for the
threshold, and each sample is weighted by its likelihood ratio). It is unbiased and efficient for sums of independent
bounded variables (Sadowsky & Bucklew 1990), so 10⁻⁶ … 10⁻¹² are measured with a few per cent relative error from
10⁴ samples. Furon used importance splitting; for independent positions tilting is the simpler exact choice. Limits:
it is an *estimate* with a reported standard error, not a bound (the bound is the Chernoff value); it is conditional
on the secret biases and the observed pirate copy; it is per innocent recipient (for ``n`` recipients multiply by
``n``); and it assumes the attackers do not know innocent codewords (keep the key secret).

Code length (:func:`code_length`). The coalition's summed score per position has expectation at least ``μ(c, t)``,
computed exactly for the worst attack (every deterministic rule "output 1 when σ of the c colluders hold 1",
subject to the marking assumption, with Gauss–Legendre quadrature over the biases; erasing is never better for
the colluders). The average colluder then scores ``m μ/c``; we require ``m μ/c − z(ε₂) √m ≥ Z_Bernstein(m)``
(``z(ε₂)`` the Gaussian quantile for the probability ``ε₂`` of missing every colluder, default 10⁻², with one unit
of standard deviation per position — the ε₂ side is a Gaussian approximation, the ε₁ side is rigorous), minimised
over the cutoff grid :data:`CUTOFFS`. Results at ε₁ = 10⁻⁶: c=1 → 96, c=2 → 332 (t=0.15, the top of the grid; the
issue's ≈340), c=3 → 1,357 (t=0.03). The issue's ≈1,000 for c=3 comes from the research notes' Monte-Carlo over six
named attacks that accused the *best* colluder, who scores above the average; our figure covers every attack rule
and uses only the average, hence ≈35 % longer. Tardos' original ``100c²⌈ln(1/ε₁)⌉`` would give 5,600 and 12,600.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

from reetrace.errors import Detail, Error, invalid

ERASED = -1
Attack = Literal["majority", "minority", "random", "interleaving", "all_zero", "all_one", "erase_differing"]
ATTACKS: tuple[Attack, ...] = (
    "majority", "minority", "random", "interleaving", "all_zero", "all_one", "erase_differing",
)
CUTOFFS = (0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15)
_LABEL = b"reetrace.tardos.v1"
_MIN_KEY = 16
Floats = npt.NDArray[np.float64]
Bits = npt.NDArray[np.uint8]
Symbols = npt.NDArray[np.int8]


def _bad(message: str, where: str) -> Error:
    return invalid(message, Detail(message, where), code="invalid_tardos")


def _check_probability(value: float, where: str) -> None:
    if not isinstance(value, float | int) or not 0.0 < float(value) < 1.0:
        raise _bad(f"{where} must be a probability strictly between 0 and 1, got {value!r}", where)


def _check_colluders(c: int) -> None:
    if not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= 8:
        raise _bad(f"colluders must be an integer from 1 to 8, got {c!r}", "colluders")


# ----------------------------------------------------------------------------------------------- code length
@lru_cache(maxsize=256)
def coalition_score(c: int, cutoff: float) -> float:
    """Expected summed colluder score per position under the worst marking-assumption attack (exact, quadrature)."""
    _check_colluders(c)
    nodes, weights = np.polynomial.legendre.leggauss(96)
    low = math.asin(math.sqrt(cutoff))
    r = low + (nodes + 1.0) / 2.0 * (math.pi / 2 - 2 * low)
    p = np.sin(r) ** 2
    w = weights / 2.0
    sigma = np.arange(c + 1)
    binom = np.array([math.comb(c, s) for s in sigma], dtype=np.float64)
    prob = binom * p[:, None] ** sigma * (1 - p[:, None]) ** (c - sigma)
    value = (sigma[None, :] - c * p[:, None]) / np.sqrt(p * (1 - p))[:, None]
    term = (w[:, None] * prob * value).sum(axis=0)  # E[1{σ} · score if the output is 1]
    worst = math.inf
    for middle in itertools.product((-1.0, 1.0), repeat=c - 1):
        signs = np.array((-1.0, *middle, 1.0)) if c > 1 else np.array((-1.0, 1.0))
        worst = min(worst, float((signs * term).sum()))
    return worst


def bernstein_threshold(m: int, cutoff: float, eps1: float) -> float:
    """Smallest Z with Bernstein's bound P(innocent score > Z) ≤ eps1 for m readable positions."""
    _check_probability(eps1, "eps1")
    _check_probability(cutoff, "cutoff")
    if m < 1:
        raise _bad(f"the number of readable positions must be at least 1, got {m}", "positions")
    big_l = math.log(1.0 / eps1)
    a = 2.0 * math.sqrt((1.0 - cutoff) / cutoff) * big_l / 3.0
    return (a + math.sqrt(a * a + 8.0 * m * big_l)) / 2.0


def _length_for(c: int, eps1: float, eps2: float, cutoff: float) -> int:
    mu, z2 = coalition_score(c, cutoff), NormalDist().inv_cdf(1.0 - eps2)

    def enough(m: int) -> bool:
        return m * mu / c - z2 * math.sqrt(m) >= bernstein_threshold(m, cutoff, eps1)

    if mu <= 0:  # this cutoff lets the worst attack cancel the coalition's score
        return 1 << 62
    high = 16
    while not enough(high):
        high *= 2
        if high > 1 << 40:
            return 1 << 62
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


@dataclass(frozen=True)
class Design:
    """Code parameters for at most ``colluders`` colluders and a per-innocent false-accusation probability."""

    colluders: int
    eps1: float
    eps2: float
    length: int
    cutoff: float


@lru_cache(maxsize=128)
def design(c: int, eps1: float, eps2: float = 1e-2) -> Design:
    """The shortest code over the cutoff grid (see the module docstring for the formula and its constants)."""
    _check_colluders(c)
    _check_probability(eps1, "eps1")
    _check_probability(eps2, "eps2")
    best = min((_length_for(c, eps1, eps2, t), t) for t in CUTOFFS)
    return Design(c, eps1, eps2, best[0], best[1])


def code_length(c: int, eps1: float, eps2: float = 1e-2) -> int:
    """Positions needed so that ≤ c colluders are caught (prob ≥ 1 − eps2) and an innocent is accused ≤ eps1."""
    return design(c, eps1, eps2).length


# ----------------------------------------------------------------------------------------------- keyed code
def _seed(key: bytes, *parts: str) -> bytes:
    message = bytearray(_LABEL)
    for part in parts:
        data = part.encode("utf-8")
        message += len(data).to_bytes(4, "big") + data
    return hmac.new(key, bytes(message), hashlib.sha256).digest()


def _uniforms(seed: bytes, count: int) -> Floats:
    stream = np.frombuffer(hashlib.shake_256(seed).digest(8 * count), dtype="<u8")
    return (stream >> np.uint64(11)).astype(np.float64) * (1.0 / 2.0**53)


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < _MIN_KEY:
        raise _bad(f"the code key must be at least {_MIN_KEY} bytes", "key")


def _check_name(value: str, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{where} must be a non-empty string", where)


@dataclass(frozen=True, eq=False)
class TardosCode:
    """The secret part of one document's code: its biases. Rebuild it with :func:`generate_code` from the key."""

    document: str
    colluders: int
    eps1: float
    cutoff: float
    bias: Floats

    @property
    def length(self) -> int:
        return int(self.bias.shape[0])


def generate_code(
    key: bytes, document: str, *, colluders: int = 3, eps1: float = 1e-6, length: int | None = None,
    cutoff: float | None = None,
) -> TardosCode:
    """Biases for ``document`` (an id that includes the version if versions get separate codes)."""
    _check_key(key)
    _check_name(document, "document")
    chosen = design(colluders, eps1)
    m = chosen.length if length is None else length
    t = chosen.cutoff if cutoff is None else cutoff
    if not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= 1_000_000:
        raise _bad(f"length must be an integer from 1 to 1,000,000, got {m!r}", "length")
    _check_probability(t, "cutoff")
    if t >= 0.5:
        raise _bad(f"cutoff must be below 0.5, got {t}", "cutoff")
    low = math.asin(math.sqrt(t))
    r = low + _uniforms(_seed(key, "bias", document), m) * (math.pi / 2 - 2 * low)
    return TardosCode(document, colluders, eps1, t, np.sin(r) ** 2)


def codeword(key: bytes, code: TardosCode, recipient: str) -> Bits:
    """The codeword of one recipient (a copy id); reproducible from the key alone."""
    _check_key(key)
    _check_name(recipient, "recipient")
    draws = _uniforms(_seed(key, "copy", code.document, recipient), code.length)
    return (draws < code.bias).astype(np.uint8)


def codebook(key: bytes, code: TardosCode, recipients: list[str]) -> Bits:
    """Codewords of ``recipients`` as an ``n × m`` matrix of 0/1 (row j is :func:`codeword` of recipient j)."""
    if len(set(recipients)) != len(recipients):
        raise _bad("recipients must be distinct", "recipients")
    book = np.empty((len(recipients), code.length), dtype=np.uint8)
    for row, recipient in enumerate(recipients):
        book[row] = codeword(key, code, recipient)
    return book


# ----------------------------------------------------------------------------------------------- attacks (tests)
def collude(words: Bits, attack: Attack, rng: np.random.Generator) -> Symbols:
    """A pirate copy built position by position from the colluders' codewords (marking assumption holds)."""
    if words.ndim != 2 or words.shape[0] < 1:
        raise _bad("colluder codewords must be a non-empty k × m matrix", "words")
    k, m = words.shape
    ones = words.sum(axis=0, dtype=np.int64)
    differ = (ones > 0) & (ones < k)
    coin: npt.NDArray[np.int64] = np.asarray(rng.integers(0, 2, size=m), dtype=np.int64)
    out: Symbols = (ones == k).astype(np.int8)
    choice: npt.NDArray[np.int64]
    if attack == "majority":
        choice = np.where(2 * ones > k, 1, np.where(2 * ones < k, 0, coin))
    elif attack == "minority":
        choice = np.where(2 * ones < k, 1, np.where(2 * ones > k, 0, coin))
    elif attack == "random":
        choice = coin
    elif attack == "interleaving":
        choice = words[rng.integers(0, k, size=m), np.arange(m)].astype(np.int64)
    elif attack in ("all_zero", "all_one"):
        choice = np.full(m, 1 if attack == "all_one" else 0, dtype=np.int64)
    elif attack == "erase_differing":
        choice = np.full(m, ERASED, dtype=np.int64)
    else:
        raise _bad(f"unknown attack {attack!r}; expected one of {', '.join(ATTACKS)}", "attack")
    out[differ] = choice.astype(np.int8)[differ]
    return out


def erase(pirate: Symbols, fraction: float, rng: np.random.Generator) -> Symbols:
    """The pirate copy with a random ``fraction`` of positions unreadable (channel damage, cropping)."""
    if not 0.0 <= fraction <= 1.0:
        raise _bad(f"fraction must be between 0 and 1, got {fraction}", "fraction")
    out = pirate.copy()
    out[rng.random(out.shape[0]) < fraction] = ERASED
    return out


# ----------------------------------------------------------------------------------------------- scoring
def _check_pirate(code: TardosCode, pirate: Symbols) -> Symbols:
    y = np.asarray(pirate)
    if y.ndim != 1 or y.shape[0] != code.length:
        raise _bad(f"the pirate copy must have {code.length} positions, got shape {y.shape}", "pirate")
    if not np.isin(y, (ERASED, 0, 1)).all():
        raise _bad("pirate symbols must be 0, 1 or ERASED (-1)", "pirate")
    return y.astype(np.int8)


def _values(code: TardosCode, y: Symbols) -> tuple[Floats, Floats]:
    """Per position, the score of a user holding 1 and of a user holding 0 (both 0 where erased)."""
    p = code.bias
    hi, lo = np.sqrt((1 - p) / p), np.sqrt(p / (1 - p))
    one = np.where(y == 1, hi, np.where(y == 0, -hi, 0.0))
    zero = np.where(y == 1, -lo, np.where(y == 0, lo, 0.0))
    return one, zero


def scores(code: TardosCode, words: Bits, pirate: Symbols) -> Floats:
    """Symmetric accusation scores of every row of ``words`` against the pirate copy."""
    y = _check_pirate(code, pirate)
    if words.ndim != 2 or words.shape[1] != code.length:
        raise _bad(f"codewords must be an n × {code.length} matrix, got shape {words.shape}", "words")
    one, zero = _values(code, y)
    read = np.flatnonzero(y != ERASED)  # erased positions score 0 for everyone: only read ones are multiplied
    diff = (one - zero)[read].astype(np.float32)
    out = np.empty(words.shape[0], dtype=np.float64)
    for start in range(0, words.shape[0], 4096):
        block = words[start:start + 4096][:, read].astype(np.float32)
        out[start:start + 4096] = block @ diff
    return out + float(zero.sum())


class _InnocentTail:
    """The two-point distribution of an innocent's score per readable position, for Chernoff and tilting.

    Methods take vectors of λ (or of thresholds) and solve by safeguarded Newton steps inside a bisection bracket.
    """

    def __init__(self, code: TardosCode, y: Symbols) -> None:
        one, zero = _values(code, y)
        keep = y != ERASED
        self.one, self.zero = one[keep], zero[keep]
        p = code.bias[keep]
        self.log_p, self.log_q = np.log(p), np.log1p(-p)
        self.maximum = float(np.maximum(self.one, self.zero).sum())

    def tilt(self, lam: float) -> tuple[Floats, Floats]:
        """Per-position ln E[e^{λU}] and the tilted probability of holding 1."""
        a = self.log_p + lam * self.one
        log_m = np.logaddexp(a, self.log_q + lam * self.zero)
        return log_m, np.exp(a - log_m)

    def moments(self, lam: Floats) -> tuple[Floats, Floats, Floats]:
        """For each λ: Σ ln E[e^{λU}], the tilted mean Σ E_λ[U] and the tilted variance."""
        a = self.log_p[None, :] + lam[:, None] * self.one[None, :]
        log_m = np.logaddexp(a, self.log_q[None, :] + lam[:, None] * self.zero[None, :])
        q = np.exp(a - log_m)
        mean = (q * self.one + (1 - q) * self.zero).sum(axis=1)
        var = (q * (1 - q) * (self.one - self.zero) ** 2).sum(axis=1)
        return log_m.sum(axis=1), mean, var

    def _solve(self, target: Floats, rising: bool, log_bound: bool) -> Floats:
        """λ ≥ 0 where the tilted mean (or the log Chernoff bound, which falls with λ) reaches ``target``."""

        def value(lam: Floats) -> tuple[Floats, Floats]:
            log_m, mean, var = self.moments(lam)
            return (log_m - lam * mean, -lam * var) if log_bound else (mean, var)

        low, high = np.zeros_like(target), np.ones_like(target)
        for _ in range(60):
            short = (value(high)[0] < target) if rising else (value(high)[0] > target)
            if not short.any():
                break
            high = np.where(short, high * 2, high)
        lam = (low + high) / 2
        for _ in range(60):
            f, slope = value(lam)
            gap = f - target
            if np.all(np.abs(gap) <= 1e-10 * np.maximum(1.0, np.abs(target))):
                break
            below = gap < 0 if rising else gap > 0
            low, high = np.where(below, lam, low), np.where(below, high, lam)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = lam - gap / slope
            inside = np.isfinite(step) & (step > low) & (step < high)
            lam = np.where(inside, step, (low + high) / 2)
        return lam

    def lam_for(self, z: float) -> float:
        """The Chernoff-optimal λ for threshold z (tilted mean = z), 0 < z < maximum."""
        return float(self._solve(np.array([z]), rising=True, log_bound=False)[0])

    def bounds(self, zs: Floats) -> Floats:
        """Chernoff bounds on P(S ≥ z) for each z."""
        zs = np.asarray(zs, dtype=np.float64)
        out = np.where(zs <= 0, 1.0, 0.0)
        inner = (zs > 0) & (zs <= self.maximum)
        if inner.any():
            lam = self._solve(zs[inner], rising=True, log_bound=False)
            log_m, _, _ = self.moments(lam)
            out[inner] = np.minimum(1.0, np.exp(log_m - lam * zs[inner]))
        return out

    def bound(self, z: float) -> float:
        return float(self.bounds(np.array([z]))[0])

    def threshold(self, eps1: float) -> float:
        """The z whose Chernoff bound is eps1."""
        lam = self._solve(np.array([math.log(eps1)]), rising=False, log_bound=True)
        return float(self.moments(lam)[1][0])


def chernoff_bound(code: TardosCode, pirate: Symbols, z: float) -> float:
    """Rigorous P(an innocent's score ≥ z) for this code and pirate copy (exact-MGF Chernoff bound)."""
    return _InnocentTail(code, _check_pirate(code, pirate)).bound(z)


def operational_threshold(code: TardosCode, pirate: Symbols, eps1: float) -> float:
    """Smallest z whose Chernoff bound for this pirate copy is at most eps1 (never above the Bernstein one)."""
    _check_probability(eps1, "eps1")
    y = _check_pirate(code, pirate)
    readable = int((y != ERASED).sum())
    if readable == 0:
        raise _bad("no readable position in the pirate copy", "pirate")
    z = _InnocentTail(code, y).threshold(eps1)
    return min(z, bernstein_threshold(readable, code.cutoff, eps1))


@dataclass(frozen=True)
class RareEventEstimate:
    """Importance-sampling estimate of P(innocent score ≥ threshold), its standard error and the Chernoff bound."""

    threshold: float
    probability: float
    std_error: float
    samples: int
    chernoff_bound: float


def estimate_false_accusation(
    code: TardosCode, pirate: Symbols, threshold: float, *, samples: int = 20_000, seed: int = 0,
) -> RareEventEstimate:
    """Rare-event estimate of the per-innocent false-accusation probability (see the module docstring)."""
    y = _check_pirate(code, pirate)
    if samples < 100:
        raise _bad(f"samples must be at least 100, got {samples}", "samples")
    tail = _InnocentTail(code, y)
    bound = tail.bound(threshold)
    lam = tail.lam_for(threshold) if 0 < bound < 1 else 0.0
    log_m, q = tail.tilt(lam)
    one, zero = tail.one, tail.zero
    rng = np.random.default_rng(seed)
    total, total_sq, done = 0.0, 0.0, 0
    while done < samples:
        batch = min(2_000, samples - done)
        x = rng.random((batch, q.shape[0])) < q
        s = x.astype(np.float64) @ (one - zero) + zero.sum()
        weight = np.where(s >= threshold, np.exp(log_m.sum() - lam * s), 0.0)
        total, total_sq, done = total + weight.sum(), total_sq + (weight**2).sum(), done + batch
    mean = total / samples
    variance = max(total_sq / samples - mean * mean, 0.0)
    return RareEventEstimate(threshold, mean, math.sqrt(variance / samples), samples, bound)


# ----------------------------------------------------------------------------------------------- accusation
@dataclass(frozen=True)
class Suspect:
    recipient: str
    score: float
    accused: bool
    innocent_tail: float  # Chernoff bound on P(an innocent scores ≥ this score)


@dataclass(frozen=True)
class Accusation:
    """Ranked recipients, the threshold used and what the result may be taken to mean."""

    suspects: list[Suspect]
    threshold: float
    bernstein_threshold: float
    eps1: float
    recipients: int
    readable: int
    positions: int
    collusion_resistant: bool
    single_leaker: bool
    note: str

    @property
    def accused(self) -> list[Suspect]:
        return [s for s in self.suspects if s.accused]

    @property
    def family_bound(self) -> float:
        """Union bound on accusing any innocent among all scored recipients."""
        return min(1.0, self.eps1 * self.recipients)


def perfect_match_probability(code: TardosCode, pirate: Symbols) -> float:
    """P(an innocent's codeword agrees with every readable symbol of the pirate copy): the best any accusation can
    do. When it exceeds eps1, no score separates a leaker from an innocent."""
    y = _check_pirate(code, pirate)
    readable = y != ERASED
    p = np.clip(code.bias[readable], 1e-300, 1.0)
    agree = np.where(y[readable] == 1, p, np.clip(1.0 - code.bias[readable], 1e-300, 1.0))
    return float(np.exp(np.sum(np.log(agree))))


def accuse(
    code: TardosCode, recipients: list[str], words: Bits, pirate: Symbols, *, eps1: float | None = None,
    top: int = 20,
) -> Accusation:
    """Score every recipient and accuse those above the operational threshold.

    With fewer readable positions than a 2-collusion-resistant code needs (``code_length(2, eps1)``) the result is
    a single-leaker decision: the best match is reported as the one leaker *assuming there was only one*, and the
    note says so. ``collusion_resistant`` says whether the readable positions suffice for the code's ``colluders``.
    """
    eps = code.eps1 if eps1 is None else eps1
    _check_probability(eps, "eps1")
    if len(recipients) != words.shape[0]:
        raise _bad(f"{len(recipients)} recipients for {words.shape[0]} codewords", "recipients")
    y = _check_pirate(code, pirate)
    readable = int((y != ERASED).sum())
    if readable == 0:
        raise _bad("no readable position in the pirate copy: nothing to accuse with", "pirate")
    all_scores = scores(code, words, y)
    tail = _InnocentTail(code, y)
    bernstein = bernstein_threshold(readable, code.cutoff, eps)
    threshold = min(tail.threshold(eps), bernstein)
    order = np.argsort(-all_scores, kind="stable")[: max(top, 1)]
    tails = tail.bounds(all_scores[order])
    suspects = [
        Suspect(recipients[j], float(all_scores[j]), bool(all_scores[j] >= threshold), float(bound))
        for j, bound in zip(order, tails, strict=True)
    ]
    single = readable < code_length(2, eps)
    best = suspects[0].score
    tied = [s for s in suspects if best - s.score <= 1e-9 * max(1.0, abs(best))]
    if single:  # one leaker assumed: only the best match can be named (copies tied with it cannot be told apart)
        suspects = [s if s in tied else Suspect(s.recipient, s.score, False, s.innocent_tail) for s in suspects]
    resistant = readable >= code_length(code.colluders, eps)
    perfect = perfect_match_probability(code, y)
    if perfect > eps:  # no score can separate the leaker from an innocent: accuse nobody
        suspects = [Suspect(s.recipient, s.score, False, s.innocent_tail) for s in suspects]
        note = (f"only {readable} readable positions: an innocent copy would match every one of them with "
                f"probability {perfect:.2g} > eps1 {eps:g}; no accusation")
    elif single and len(tied) > 1 and suspects[0].accused:
        note = (f"only {readable} readable positions: {len(tied)} copies match equally well; each is above the "
                "threshold, and which of them leaked cannot be told from these marks")
    elif not any(s.accused for s in suspects):
        note = "no recipient scores above the threshold: no accusation"
    elif single:
        note = (f"only {readable} readable positions: too few for collusion resistance; the best match is named "
                "as the single leaker, assuming one leaker")
    elif resistant:
        note = f"collusion-resistant decision for up to {code.colluders} colluders"
    else:
        note = f"{readable} readable positions: accusations are sound, but fewer than {code.colluders} colluders' worth"
    return Accusation(suspects, threshold, bernstein, eps, len(recipients), readable,
                      code.length, resistant, single, note)
