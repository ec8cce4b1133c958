"""Image and rendered-page marks: a keyed, informed (non-blind) fingerprint that survives photos, scans and crops.

Every issued copy of a picture (a rendered page or a registered diagram) is the picture's *reference* look plus a
faint keyed pattern that spells the copy's Tardos codeword. The reader always has the master (the registered,
unmarked picture), so detection is informed: register the leaked picture onto the master, subtract the reference,
correlate.

Reference (:func:`reference`). Text pages are mostly white, and a mark that can only darken white paper, or that
modulates existing colour, has nothing to live in there. The reference maps the range [0, 255] to
[:data:`INK`, :data:`PAPER`] (≈ [10, 242]): a faint paper tone, so the mark moves white both ways.

Pattern (:func:`embed`). The master is cut into square cells of :data:`CELL` pixels (12 px ≈ 2 mm at 150 dpi). Cell
``k`` carries ``A · s_k · b(x, y)`` with ``b = sin(2πx/CELL) · sin(2πy/CELL)``: smooth, zero at the cell border (the
field is continuous), zero-mean and orthogonal to any plane ``αx + βy + γ`` inside the cell, so illumination
gradients and brightness or contrast changes do not bias it. ``s_k = c_k (2 X_i − 1)``: the bit of the codeword
position ``i`` the cell belongs to, times a keyed random sign ``c_k`` (so the field is zero-mean noise to anyone
without the key). Cells are assigned to positions by a keyed permutation (cell ``π(j)`` → position ``j mod m``):
every position gets ``⌊cells/m⌋`` or one more cells scattered over the whole picture, so a crop keeps a share of
every position. The amplitude :data:`AMPLITUDE` (4 grey levels peak, 2 RMS) keeps the copy at ≈ 42 dB PSNR against
the reference. Cells touching an ``exclude`` box (the visible banner) carry nothing. The key stream is HMAC-SHA256 +
SHAKE-256, as in :mod:`.tardos`, so copies issued today are read the same after a numpy upgrade.

Registration (:func:`register`). SIFT features on lightly blurred, size-normalised grey images, Lowe's ratio test
(FLANN matches; exact brute-force ones when no fast map correlates ≥ 0.8), candidate homographies (leaked → master:
similarity-first RANSAC and MAGSAC), a sanity check of each map, the one whose warped picture correlates best with
the master, then an ECC refinement (``cv2.findTransformECC``, homography model) at half resolution. OpenCV's
per-thread generator (FLANN's random trees, RANSAC's samples) is seeded on every call, so a picture registers the
same whatever ran before it. The result is accepted only when the warped picture
correlates with the master (normalised cross-correlation of blurred images over the valid area ≥
:data:`MIN_QUALITY`) with at least :data:`MIN_INLIERS` inliers; otherwise the answer is "could not register", never
a guess. A master without features (a blank page) is registered to a leaked picture of exactly its size only.

Reading (:func:`read`). On the valid area of the warped picture: a lighting gain field (ratio of large-scale local
means of the leaked picture and the reference) is divided out; a cubic intensity map from the leaked to the
reference grey levels (least squares) undoes contrast and gamma; the reference is blurred by the best of a few
Gaussian widths (the channel's blur); the residual is high-passed, clipped (±3A, so text edges that do not register
to the pixel cannot dominate) and masked near strong edges. Per cell the weighted least-squares amplitude of ``b``,
per position the pooled estimate over its cells; the noise level is measured on the picture itself (the spread of
the cell estimates inside each position, which includes JPEG, blur and misregistration noise), giving a z-score
per position (the *soft* value). ``|z| ≥`` :data:`THRESHOLD` gives the bit, otherwise :data:`ERASED`. A wrong bit
costs the leaker score in :func:`.tardos.accuse` but never accuses an innocent copy: innocents' codewords are
independent of what the reader saw.

Yield (``capacity``): ``⌊H/12⌋ · ⌊W/12⌋`` cells, with :data:`CELLS_PER_POSITION` = 8 cells per position counted as
robust: an A4 page at 150 dpi (1240×1754) has 15,038 cells → 1,879 positions, so the whole c = 3 code (1,357
positions at ε₁ = 10⁻⁶, 11 cells each) fits on one page; a 1000×700 diagram has 4,814 cells → 601 positions (the
c = 2 code of 332 positions, 14 cells each). Guarantees, as measured (tests/documents/test_imagemarks.py and
bench/leaktrace.py, 200 copies, no innocent accused in any trial): a whole page or diagram, JPEG 50, 50 % rescale,
simulated print-scan and phone photo read every position with no bit error seen; a screenshot of half a page reads
≈ 99 %; a quarter crop of a page reads ≈ 1,190 of 1,357 positions (a position is lost only when none of its cells
is visible), i.e. still more than the 332 that a c = 2 decision needs; so the collusion-resistant guarantee for c = 3
holds for a whole page and is approached (≈ 88 % of positions) from a quarter. Averaging copies erases the positions
where colluders differ (the marking assumption holds for what is read; see the bench for the rates).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from reetrace.errors import Detail, Error, invalid

ERASED = -1
CELL = 12
CELLS_PER_POSITION = 8
MIN_SIDE = 128
AMPLITUDE = 4.0
INK, PAPER = 10.0, 242.0
THRESHOLD = 1.0
MIN_INLIERS = 12
MIN_QUALITY = 0.5
_LABEL = b"reetrace.imagemarks.v1"
_MIN_KEY = 16
_FEATURE_SIDE = 1000
_LEAK_FEATURES = 4000
_MASTER_SIDE = 1800
_MASTER_FEATURES = 6000
_RNG_SEED = 20_261_207
_GOOD_QUALITY = 0.8  # a map whose picture correlates this well with the master is not second-guessed
Box = tuple[int, int, int, int]
Image = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]
Gray = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


def _bad(message: str, where: str) -> Error:
    return invalid(message, Detail(message, where), code="invalid_image_mark")


def _check_image(image: npt.NDArray[np.generic], where: str) -> Image:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise _bad(f"{where} must be a uint8 numpy array (grey H×W or colour H×W×3)", where)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise _bad(f"{where} must be grey (H×W) or colour (H×W×3), got shape {image.shape}", where)
    return np.asarray(image, dtype=np.uint8)


def _check_size(shape: tuple[int, ...], where: str) -> tuple[int, int]:
    if len(shape) < 2:
        raise _bad(f"{where} must be an image shape (height, width[, channels]), got {shape}", where)
    h, w = int(shape[0]), int(shape[1])
    if min(h, w) < MIN_SIDE:
        raise invalid(
            f"image too small to carry a mark: {w}x{h} px, at least {MIN_SIDE}x{MIN_SIDE} px are needed",
            Detail(f"{w}x{h} px is below {MIN_SIDE} px on a side", where), code="image_too_small",
        )
    return h, w


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < _MIN_KEY:
        raise _bad(f"key must be at least {_MIN_KEY} bytes", "key")


def _gray(image: Image) -> Gray:
    if image.ndim == 2:
        return image.astype(np.float32)
    rgb = image[:, :, :3].astype(np.float32)
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32), dtype=np.float32)


# ----------------------------------------------------------------------------------------------- layout and key
def _grid(h: int, w: int) -> tuple[int, int, int, int]:
    """Rows, columns and the top-left offset of the cell grid (centred in the picture)."""
    rows, cols = h // CELL, w // CELL
    return rows, cols, (h - rows * CELL) // 2, (w - cols * CELL) // 2


def capacity(shape: tuple[int, ...]) -> int:
    """Codeword positions a picture of ``shape`` carries robustly (:data:`CELLS_PER_POSITION` cells each)."""
    h, w = _check_size(tuple(shape), "shape")
    rows, cols, _, _ = _grid(h, w)
    return (rows * cols) // CELLS_PER_POSITION


def _stream(key: bytes, label: str, count: int) -> npt.NDArray[np.uint64]:
    seed = hmac.new(key, _LABEL + b"\x00" + label.encode(), hashlib.sha256).digest()
    raw = hashlib.shake_256(seed).digest(8 * count)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


@dataclass(frozen=True, eq=False)
class _Layout:
    rows: int
    cols: int
    top: int
    left: int
    position: npt.NDArray[np.int64]  # per cell (rows × cols), the codeword position it carries
    sign: npt.NDArray[np.float32]  # per cell, the keyed ±1


def _layout(key: bytes, h: int, w: int, m: int) -> _Layout:
    rows, cols, top, left = _grid(h, w)
    n = rows * cols
    label = f"{h}x{w}:{m}"
    order = np.argsort(_stream(key, "cells:" + label, n), kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n, dtype=np.int64) % m
    sign = np.where(_stream(key, "signs:" + label, n) >> np.uint64(63), 1.0, -1.0).astype(np.float32)
    return _Layout(rows, cols, top, left, position.reshape(rows, cols), sign.reshape(rows, cols))


def _basis() -> Gray:
    t = (np.arange(CELL, dtype=np.float64) + 0.5) / CELL
    s = np.sin(2 * np.pi * t)
    return np.outer(s, s).astype(np.float32)


def _excluded_cells(layout: _Layout, exclude: Sequence[Box], h: int, w: int) -> Mask:
    out = np.zeros((layout.rows, layout.cols), dtype=bool)
    for index, box in enumerate(exclude):
        if len(box) != 4:
            raise _bad("an exclude box is (x0, y0, x1, y1)", f"exclude[{index}]")
        x0, y0, x1, y1 = (int(v) for v in box)
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise _bad(f"exclude box {box} is not inside the {w}x{h} picture", f"exclude[{index}]")
        r0 = max((y0 - layout.top) // CELL, 0)
        r1 = min((y1 - 1 - layout.top) // CELL + 1, layout.rows)
        c0 = max((x0 - layout.left) // CELL, 0)
        c1 = min((x1 - 1 - layout.left) // CELL + 1, layout.cols)
        if r0 < r1 and c0 < c1:
            out[r0:r1, c0:c1] = True
    return out


# ----------------------------------------------------------------------------------------------- embedding
def reference(image: Image) -> Image:
    """The unmarked look of every copy: the range mapped to [INK, PAPER] (a faint paper tone)."""
    image = _check_image(image, "image")
    scaled = INK + image.astype(np.float32) * ((PAPER - INK) / 255.0)
    return np.asarray(np.clip(np.rint(scaled), 0, 255), dtype=np.uint8)


def _field(layout: _Layout, symbols: Floats, h: int, w: int) -> Gray:
    """The full-size mark field of unit amplitude for per-cell symbols (±1 or 0)."""
    cells = (layout.sign * symbols.astype(np.float32)).astype(np.float32)
    tiled = np.kron(cells, _basis()).astype(np.float32)
    field = np.zeros((h, w), dtype=np.float32)
    field[layout.top:layout.top + layout.rows * CELL, layout.left:layout.left + layout.cols * CELL] = tiled
    return field


def embed(image: Image, key: bytes, bits: npt.NDArray[np.integer], *, exclude: Sequence[Box] = ()) -> Image:
    """The copy carrying ``bits`` (codeword of length ``m ≤ capacity``): reference look plus the keyed pattern."""
    image = _check_image(image, "image")
    _check_key(key)
    h, w = _check_size(image.shape, "image")
    word = np.asarray(bits)
    if word.ndim != 1 or word.shape[0] < 1 or not np.isin(word, (0, 1)).all():
        raise _bad("bits must be a non-empty one-dimensional array of 0 and 1", "bits")
    m = int(word.shape[0])
    room = capacity(image.shape)
    if m > room:
        raise _bad(f"a {w}x{h} picture carries at most {room} positions robustly, got {m}", "bits")
    layout = _layout(key, h, w, m)
    symbols = (2.0 * word[layout.position].astype(np.float64) - 1.0)
    symbols[_excluded_cells(layout, exclude, h, w)] = 0.0
    field = AMPLITUDE * _field(layout, symbols, h, w)
    base = reference(image).astype(np.float32)
    if base.ndim == 3:
        field = field[:, :, None]
    return np.asarray(np.clip(np.rint(base + field), 0, 255), dtype=np.uint8)


# ----------------------------------------------------------------------------------------------- registration
@dataclass(frozen=True, eq=False)
class Registration:
    """Where the leaked picture lies in the master's frame, or why it could not be placed (``ok`` False)."""

    ok: bool
    homography: Floats | None  # leaked pixel → master pixel (3×3)
    warped: Gray | None  # the leaked picture's grey levels in master coordinates
    mask: Mask | None  # master pixels the leaked picture shows
    inliers: int
    quality: float  # normalised cross-correlation with the master over the valid area (blurred), -1..1
    note: str

    @property
    def coverage(self) -> float:
        return 0.0 if self.mask is None else float(self.mask.mean())


def _failed(note: str, inliers: int = 0, quality: float = 0.0) -> Registration:
    return Registration(False, None, None, None, inliers, quality, f"could not register: {note}")


def _resized(gray: Gray, side: int) -> tuple[npt.NDArray[np.uint8], float]:
    scale = min(1.0, side / max(gray.shape))
    small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), 0.8)
    return np.asarray(np.clip(blurred, 0, 255), dtype=np.uint8), scale


def _warp(gray: Gray, hom: Floats, h: int, w: int) -> tuple[Gray, Mask]:
    warped = cv2.warpPerspective(gray, hom, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ones = np.ones(gray.shape, dtype=np.uint8)
    inside = cv2.warpPerspective(ones, hom, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8))
    return np.asarray(warped, dtype=np.float32), inside.astype(bool)


def _ncc(a: Gray, b: Gray, mask: Mask) -> float:
    if mask.sum() < 100:
        return 0.0
    x = cv2.GaussianBlur(a, (0, 0), 2.0)[mask].astype(np.float64)
    y = cv2.GaussianBlur(b, (0, 0), 2.0)[mask].astype(np.float64)
    x -= x.mean()
    y -= y.mean()
    den = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / den) if den > 0 else 0.0


def _plausible(hom: Floats, leaked_shape: tuple[int, int]) -> bool:
    h, w = leaked_shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(corners, hom).reshape(-1, 2)
    x, y = mapped[:, 0], mapped[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    ratio = area / float(h * w)
    return bool(np.isfinite(mapped).all()) and 1 / 400 < ratio < 400 and cv2.isContourConvex(
        mapped.astype(np.float32).reshape(-1, 1, 2))


def _refine(master: Gray, warped: Gray, mask: Mask) -> Floats | None:
    """A small homography correction (master frame → master frame) from ECC at half resolution, or None."""
    half_m = cv2.resize(master, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    half_w = cv2.resize(warped, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    half_mask = cv2.resize(mask.astype(np.uint8), (half_m.shape[1], half_m.shape[0]), interpolation=cv2.INTER_NEAREST)
    start = np.eye(3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
    try:
        _, found = cv2.findTransformECC(half_m, half_w, start, cv2.MOTION_HOMOGRAPHY, criteria, half_mask, 5)
    except cv2.error:
        return None
    scale = np.diag([2.0, 2.0, 1.0])
    corr = scale @ np.asarray(found, dtype=np.float64) @ np.linalg.inv(scale)  # master coords → warped-image coords
    if not np.isfinite(corr).all() or np.abs(corr[:2, 2]).max() > 20 or np.abs(corr[:2, :2] - np.eye(2)).max() > 0.05:
        return None
    return np.asarray(corr, dtype=np.float64)


def _fits(src: Floats, dst: Floats, tolerance: float) -> list[tuple[Floats, int]]:
    """Candidate maps: a similarity first (4 degrees of freedom: robust among the repeated glyphs of text), then the
    homography on its inliers; and a MAGSAC homography on every match (strong perspective). The caller keeps the
    one whose mapped picture looks most like the master: the count of inliers alone picked a wrong map now and
    then, when repeated glyphs or the grid of a chart agreed on one."""
    out: list[tuple[Floats, int]] = []
    sim, keep = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=2 * tolerance,
                                            maxIters=5000, confidence=0.999)
    if sim is not None and keep is not None and int(keep.sum()) >= MIN_INLIERS:
        chosen = keep.ravel().astype(bool)
        hom, inl = cv2.findHomography(src[chosen], dst[chosen], cv2.RANSAC, tolerance)
        if hom is not None and inl is not None:
            out.append((np.asarray(hom, dtype=np.float64), int(inl.sum())))
    hom, inl = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, tolerance, maxIters=5000, confidence=0.999)
    if hom is not None and inl is not None:
        out.append((np.asarray(hom, dtype=np.float64), int(inl.sum())))
    return out


def _matches(matcher: cv2.DescriptorMatcher, des_l: npt.NDArray[Any],
             des_m: npt.NDArray[Any]) -> list[cv2.DMatch]:
    """Lowe's ratio test, then one match per master feature (repeated glyphs pile onto one otherwise)."""
    best_for: dict[int, cv2.DMatch] = {}
    for pair in matcher.knnMatch(des_l, des_m, k=2):
        if len(pair) == 2 and pair[0].distance < 0.8 * pair[1].distance:
            seen_before = best_for.get(pair[0].trainIdx)
            if seen_before is None or pair[0].distance < seen_before.distance:
                best_for[pair[0].trainIdx] = pair[0]
    return list(best_for.values())


_FEATURE_CACHE: OrderedDict[bytes, tuple[Floats, npt.NDArray[np.float32] | None]] = OrderedDict()


def _master_features(ref: Gray) -> tuple[Floats, npt.NDArray[np.float32] | None]:
    """SIFT keypoints (master pixels) and descriptors of a master's reference look; the last few masters are cached
    (keyed by a digest of the pixels), since every trace of a document registers against the same master."""
    digest = hashlib.blake2b(ref.tobytes(), digest_size=16).digest() + repr(ref.shape).encode()
    hit = _FEATURE_CACHE.get(digest)
    if hit is not None:
        _FEATURE_CACHE.move_to_end(digest)
        return hit
    points, descriptors = [], []
    for side, count in ((_FEATURE_SIDE, _LEAK_FEATURES), (_MASTER_SIDE, _MASTER_FEATURES)):  # whole views and crops
        small, scale = _resized(ref, side)
        keypoints, found_here = cv2.SIFT.create(nfeatures=count).detectAndCompute(small, None)
        if found_here is not None:
            points.append(np.array([k.pt for k in keypoints], dtype=np.float64).reshape(-1, 2) / scale)
            descriptors.append(np.asarray(found_here, dtype=np.float32))
        if scale == 1.0:
            break
    found = (np.concatenate(points) if points else np.zeros((0, 2)),
             np.concatenate(descriptors) if descriptors else None)
    _FEATURE_CACHE[digest] = found
    while len(_FEATURE_CACHE) > 16:
        _FEATURE_CACHE.popitem(last=False)
    return found


def register(master: Image, leaked: Image) -> Registration:
    """The map from the leaked picture onto the master's frame (any scale, crop, small rotation, perspective)."""
    master = _check_image(master, "master")
    leaked = _check_image(leaked, "leaked")
    h, w = _check_size(master.shape, "master")
    lh, lw = leaked.shape[:2]
    if min(lh, lw) < 32:
        return _failed(f"the leaked picture is {lw}x{lh} px, too small to locate")
    ref = _gray(reference(master))
    seen = _gray(leaked)
    if float(ref.std()) < 1.0:  # a blank master has no features: only a picture of its exact size can be placed
        if (lh, lw) != (h, w):
            return _failed("the master is blank (no features) and the leaked picture is not of its size")
        mask = np.ones((h, w), dtype=bool)
        return Registration(True, np.eye(3), seen, mask, 0, 0.0, "blank master: leaked picture of the same size "
                            "taken as the whole picture, unmoved")
    pts_m, des_m = _master_features(ref)
    small_l, sl = _resized(seen, _FEATURE_SIDE)
    kp_l, des_l = cv2.SIFT.create(nfeatures=_LEAK_FEATURES).detectAndCompute(small_l, None)
    if des_m is None or des_l is None or len(pts_m) < MIN_INLIERS or len(kp_l) < MIN_INLIERS:
        return _failed("too few features in the pictures")
    cv2.setRNGSeed(_RNG_SEED)  # FLANN's random trees and RANSAC's samples: the same picture, the same map
    best: tuple[float, Floats, int, Gray, Mask] | None = None
    matched = inliers = 0
    for matcher in (cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 64}), cv2.BFMatcher(cv2.NORM_L2)):
        good = _matches(matcher, des_l, des_m)  # the exact (brute-force) matches only when the fast ones fall short
        matched = max(matched, len(good))
        if len(good) < MIN_INLIERS:
            continue
        src = np.array([kp_l[g.queryIdx].pt for g in good], dtype=np.float64) / sl
        dst = pts_m[[g.trainIdx for g in good]]
        for hom, count in _fits(src, dst, 3.0):
            inliers = max(inliers, count)
            if count < MIN_INLIERS or not _plausible(hom, (lh, lw)):
                continue
            warped, mask = _warp(seen, hom, h, w)
            score = _ncc(ref, warped, mask) if mask.mean() >= 0.01 else 0.0
            if best is None or score > best[0]:
                best = (score, hom, count, warped, mask)
        if best is not None and best[0] >= _GOOD_QUALITY:
            break
    if matched < MIN_INLIERS:
        return _failed(f"only {matched} distinctive feature matches", matched)
    if best is None:
        return _failed(f"no consistent geometric map ({inliers} inliers)", inliers)
    _, hom, inliers, warped, mask = best
    corr = _refine(ref, warped, mask)
    if corr is not None:
        refined = np.linalg.inv(corr) @ hom
        refined /= refined[2, 2]
        w2, m2 = _warp(seen, refined, h, w)
        if _ncc(ref, w2, m2) >= _ncc(ref, warped, mask):
            hom, warped, mask = refined, w2, m2
    quality = _ncc(ref, warped, mask)
    if quality < MIN_QUALITY or mask.mean() < 0.01:
        return _failed(f"the mapped picture does not match the master (correlation {quality:.2f})", inliers, quality)
    return Registration(True, np.asarray(hom, dtype=np.float64), warped, mask, inliers, quality,
                        f"registered with {inliers} inliers, correlation {quality:.2f}, {mask.mean():.0%} of the "
                        "master covered")


# ----------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True, eq=False)
class MarkReading:
    """Per position: 0, 1 or ERASED, the z-score behind it, and how much of the picture was read."""

    bits: npt.NDArray[np.int8]
    soft: Floats
    positions_read: int
    coverage: float
    note: str
    registration: Registration | None = None

    @property
    def length(self) -> int:
        return int(self.bits.shape[0])


def _smooth(values: Gray, sigma: float) -> Gray:
    """Gaussian smoothing; wide kernels on a reduced copy (the result is smooth at that scale anyway)."""
    if sigma <= 4.0:
        return np.asarray(cv2.GaussianBlur(values, (0, 0), sigma), dtype=np.float32)
    h, w = values.shape
    factor = int(sigma // 2)
    small = cv2.resize(values, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def _norm_blur(values: Gray, weight: Gray, sigma: float) -> Gray:
    num = _smooth(values * weight, sigma)
    den = _smooth(weight, sigma)
    return np.asarray(num / np.maximum(den, 1e-3), dtype=np.float32)


def _residual(ref: Gray, seen: Gray, valid: Mask) -> tuple[Gray, Gray]:
    """Photometrically normalised residual of the leaked picture against the (channel-blurred) reference."""
    weight = valid.astype(np.float32)
    sigma_light = 3.0 * CELL
    gain = _norm_blur(seen, weight, sigma_light) / np.maximum(_norm_blur(ref, weight, sigma_light), 1.0)
    flat = seen / np.maximum(gain, 0.05)
    rng = np.random.default_rng(0)
    idx = np.flatnonzero(valid)
    sample = idx if idx.size <= 200_000 else rng.choice(idx, 200_000, replace=False)
    y = flat.ravel()[sample].astype(np.float64)
    # forward tone model seen ≈ f(blurred reference), fitted for a few blur widths (the channel's blur); the
    # reference is noise-free, so fitting in this direction has no regression dilution
    best: tuple[float, float, Floats] | None = None
    for sigma in (0.0, 0.8, 1.4, 2.2):
        blurred = ref if sigma == 0.0 else np.asarray(cv2.GaussianBlur(ref, (0, 0), sigma), dtype=np.float32)
        t = blurred.ravel()[sample].astype(np.float64) / 255.0
        flat_ref = float(np.ptp(t)) < 0.1  # (nearly) one grey level: only an offset can be fitted
        coef = np.array([255.0, float(np.median(y - 255.0 * t))]) if flat_ref else np.polyfit(t, y, 3)
        spread = float(np.median(np.abs(y - np.polyval(coef, t))))
        if best is None or spread < best[0]:
            best = (spread, sigma, coef)
    assert best is not None
    _, sigma, coef = best
    blurred = ref if sigma == 0.0 else np.asarray(cv2.GaussianBlur(ref, (0, 0), sigma), dtype=np.float32)
    lut_in = np.arange(256, dtype=np.float64) / 255.0
    level = np.clip(np.rint(blurred), 0, 255).astype(np.uint8)
    predicted = np.polyval(coef, lut_in).astype(np.float32)[level]
    slope = np.maximum(np.polyval(np.polyder(coef), lut_in) / 255.0, 0.2).astype(np.float32)[level]
    res = np.asarray((flat - predicted) / slope, dtype=np.float32)  # back in reference grey levels
    res = res - _norm_blur(res, weight, 2.0 * CELL)
    res = np.clip(res, -3 * AMPLITUDE, 3 * AMPLITUDE)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    edges = cv2.dilate((np.hypot(gx, gy) > 60).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    use = (valid & ~edges).astype(np.float32)
    return np.asarray(res * use, dtype=np.float32), use


def _erased(m: int, note: str, registration: Registration | None, coverage: float = 0.0) -> MarkReading:
    return MarkReading(np.full(m, ERASED, dtype=np.int8), np.zeros(m), 0, coverage, note, registration)


def read(
    master: Image, leaked: Image, key: bytes, m: int, *, registration: Registration | None = None,
    exclude: Sequence[Box] = (),
) -> MarkReading:
    """Read the ``m``-position codeword from a leaked picture of a copy of ``master``."""
    master = _check_image(master, "master")
    leaked = _check_image(leaked, "leaked")
    _check_key(key)
    h, w = _check_size(master.shape, "master")
    if not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= capacity(master.shape):
        raise _bad(f"m must be an integer from 1 to {capacity(master.shape)} for this picture, got {m!r}", "m")
    reg = registration if registration is not None else register(master, leaked)
    if not reg.ok or reg.warped is None or reg.mask is None:
        return _erased(m, reg.note, reg)
    layout = _layout(key, h, w, m)
    ref = _gray(reference(master))
    res, use = _residual(ref, reg.warped, reg.mask)
    gh, gw = layout.rows * CELL, layout.cols * CELL
    sl = (slice(layout.top, layout.top + gh), slice(layout.left, layout.left + gw))
    basis = _basis()
    r4 = res[sl].reshape(layout.rows, CELL, layout.cols, CELL)
    u4 = use[sl].reshape(layout.rows, CELL, layout.cols, CELL)
    num = np.einsum("aibj,ij->ab", r4, basis).astype(np.float64)
    den = np.einsum("aibj,ij->ab", u4, basis * basis).astype(np.float64)
    full = float((basis * basis).sum())
    keep = den >= 0.3 * full
    keep &= ~_excluded_cells(layout, exclude, h, w)
    pos = layout.position[keep]
    signed = (layout.sign[keep] * num[keep]).astype(np.float64)
    dens = den[keep]
    if pos.size == 0:
        return _erased(m, "no markable area of the master is visible in the leaked picture", reg, reg.coverage)
    sum_num = np.bincount(pos, weights=signed, minlength=m)
    sum_den = np.bincount(pos, weights=dens, minlength=m)
    count = np.bincount(pos, minlength=m)
    est = np.divide(sum_num, sum_den, out=np.zeros(m), where=sum_den > 0)
    spread = dens * (signed / dens - est[pos]) ** 2
    dof = int(np.maximum(count - 1, 0).sum())
    if dof < 20:
        return _erased(m, f"only {pos.size} cells visible: too few to measure the noise level", reg, reg.coverage)
    sigma = float(np.sqrt(spread.sum() / dof))
    soft = np.where(sum_den > 0, est * np.sqrt(sum_den) / max(sigma, 1e-9), 0.0)
    bits = np.where(soft >= THRESHOLD, 1, np.where(soft <= -THRESHOLD, 0, ERASED)).astype(np.int8)
    read_count = int((bits != ERASED).sum())
    note = (f"{read_count} of {m} positions read from {pos.size} cells ({reg.coverage:.0%} of the master visible; "
            f"{reg.note})")
    return MarkReading(bits, soft.astype(np.float64), read_count, reg.coverage, note, reg)
