"""Which registered picture does a leaked picture show? Local features, a vote, and a geometric check.

A registered picture is a rendered page of a document version or a registered PNG/JPEG diagram. :func:`describe`
keeps a few hundred ORB keypoints with binary descriptors (32 bytes each) per picture, taken at several scales of a
blurred copy: text pages repeat the same glyphs everywhere, so corners of single letters say little about which page
it is, while the blobs that words and lines become after blurring are arranged differently on every page. The scales
(the picture's long side brought to 1600, 1000 and 600 px) let a rescaled or cropped leak meet the master at a
comparable resolution, whatever its own size. Keypoint coordinates are kept in the picture's own pixels.

:func:`match` compares a query with candidates (key → descriptors): every query descriptor votes for the candidate of
its nearest stored descriptor (Hamming), the best-voted candidates are verified one by one (Lowe's ratio test, then a
RANSAC homography), and the answer ranks them by the number of inliers with the homography that maps the query onto
the candidate's pixels (for :mod:`imagemarks` registration or for reading shifts). Below :data:`MIN_INLIERS`
geometrically consistent matches the answer is an honest "not one of ours" (an empty ranking), never a guess.
A quarter of a page, a 50 % rescale, a JPEG at quality 50 and a simulated print-scan of one of ten pages of the same
font and layout are told apart with a wide margin (tests/documents/test_imageindex.py).

:func:`to_bytes` / :func:`from_bytes` give a compact byte form (a small header, keypoints as float32, descriptors as
bytes) for a table column.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt

from reetrace.errors import Detail, Error, invalid

FORMAT = b"RTID1"
MIN_SIDE = 64  # px; smaller pictures carry too little to identify
MIN_INLIERS = 15
SCALES = (1600, 1130, 800, 565, 400)  # long side of each scale's picture (steps of √2)
MAX_UPSCALE = 2.0  # a small leak is enlarged up to twice, to meet the master near its own resolution
DENSITY = 650  # keypoints per million pixels of a scale (at least 150, at most 1500 per scale)
BLUR = 2.0  # px, Gaussian sigma before detection: letters merge into word blobs
SHORTLIST = 8
K = TypeVar("K", bound=Hashable)


def _bad(message: str, where: str, code: str = "bad_image") -> Error:
    return invalid(message, Detail(message, where), code=code)


@dataclass(frozen=True, eq=False)
class Descriptors:
    points: npt.NDArray[np.float32]  # (n, 2): x, y in the picture's pixels
    descriptors: npt.NDArray[np.uint8]  # (n, 32): ORB
    width: int
    height: int

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True, eq=False)
class Match:
    key: Hashable
    inliers: int
    matches: int  # ratio-test matches before the geometric check
    homography: npt.NDArray[np.float64]  # 3x3, query pixels → candidate pixels


def _gray(image: npt.NDArray[np.generic], where: str) -> npt.NDArray[np.uint8]:
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = cv2.cvtColor(array.astype(np.uint8), cv2.COLOR_RGB2GRAY if array.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)
    if array.ndim != 2 or array.dtype != np.uint8:
        raise _bad(f"{where}: expected a grayscale or RGB uint8 picture, got shape {array.shape} {array.dtype}", where)
    h, w = array.shape
    if min(h, w) < MIN_SIDE:
        raise _bad(f"{where}: picture too small to identify: {w}x{h} px, at least {MIN_SIDE} px on each side", where,
                   code="image_too_small")
    return np.ascontiguousarray(array)


def describe(image: npt.NDArray[np.generic], *, where: str = "image") -> Descriptors:
    """Keypoints and ORB descriptors of a picture (grayscale or RGB uint8), over several blurred scales."""
    gray = _gray(image, where)
    h, w = gray.shape
    points: list[npt.NDArray[np.float32]] = []
    descs: list[npt.NDArray[np.uint8]] = []
    done: set[tuple[int, int]] = set()
    for side in SCALES:
        factor = min(side / max(h, w), MAX_UPSCALE)
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        if size in done or min(size) < 48:
            continue
        done.add(size)
        scaled = gray if factor == 1.0 else cv2.resize(gray, size, interpolation=cv2.INTER_AREA if factor < 1 else
                                                       cv2.INTER_LINEAR)
        blurred = cv2.GaussianBlur(scaled, (0, 0), BLUR)
        wanted = int(np.clip(size[0] * size[1] * DENSITY / 1e6, 150, 1500))
        orb = cv2.ORB.create(nfeatures=wanted, scaleFactor=1.2, nlevels=2, edgeThreshold=19, patchSize=31,
                             fastThreshold=8)
        keypoints, found = orb.detectAndCompute(blurred, None)
        if found is None or not keypoints:
            continue
        xy = np.array([k.pt for k in keypoints], dtype=np.float32) / np.float32(factor)
        points.append(xy)
        descs.append(found.astype(np.uint8))
    if not points:
        return Descriptors(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), w, h)
    return Descriptors(np.concatenate(points), np.concatenate(descs), w, h)


def to_bytes(desc: Descriptors) -> bytes:
    n = len(desc)
    header = FORMAT + struct.pack("<III", n, desc.width, desc.height)
    return header + desc.points.astype("<f4").tobytes() + desc.descriptors.astype(np.uint8).tobytes()


def from_bytes(data: bytes) -> Descriptors:
    head = len(FORMAT) + 12
    if len(data) < head or not data.startswith(FORMAT):
        raise _bad("not a stored picture description (wrong header)", "descriptors", code="bad_descriptors")
    n, width, height = struct.unpack("<III", data[len(FORMAT):head])
    if len(data) != head + n * 8 + n * 32:
        raise _bad(f"stored picture description is {len(data)} bytes; {head + n * 40} expected for {n} keypoints",
                   "descriptors", code="bad_descriptors")
    points = np.frombuffer(data, dtype="<f4", count=2 * n, offset=head).reshape(n, 2).astype(np.float32)
    descs = np.frombuffer(data, dtype=np.uint8, count=32 * n, offset=head + 8 * n).reshape(n, 32).copy()
    return Descriptors(points, descs, width, height)


def _verify(query: Descriptors, cand: Descriptors, matcher: cv2.BFMatcher) -> tuple[int, int, npt.NDArray[np.float64]]:
    if len(cand) < 2 or len(query) < 2:
        return 0, 0, np.eye(3)
    pairs = matcher.knnMatch(query.descriptors, cand.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < 4:
        return 0, len(good), np.eye(3)
    src = query.points[[g.queryIdx for g in good]].reshape(-1, 1, 2)
    dst = cand.points[[g.trainIdx for g in good]].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0, maxIters=1000, confidence=0.995)
    if homography is None or mask is None:
        return 0, len(good), np.eye(3)
    # several scales can give the same point twice: count distinct candidate locations among the inliers
    inlying = dst.reshape(-1, 2)[mask.ravel().astype(bool)]
    distinct = len(np.unique(np.round(inlying / 4.0), axis=0))
    return distinct, len(good), np.asarray(homography, dtype=np.float64)


def match(query: Descriptors, candidates: Mapping[K, Descriptors], *, min_inliers: int = MIN_INLIERS,
          shortlist: int = SHORTLIST) -> list[Match]:
    """Candidates the query shows, best first (by inliers); empty when none reaches ``min_inliers``."""
    keys = [k for k, d in candidates.items() if len(d)]
    if not keys or len(query) < 4:
        return []
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    if len(keys) > shortlist:  # vote: each query descriptor for the candidate holding its nearest neighbour
        stacked = np.concatenate([candidates[k].descriptors for k in keys])
        owner = np.repeat(np.arange(len(keys)), [len(candidates[k]) for k in keys])
        nearest = matcher.match(query.descriptors, stacked)
        votes = np.bincount(owner[[m.trainIdx for m in nearest]], minlength=len(keys))
        keys = [keys[i] for i in np.argsort(-votes, kind="stable")[:shortlist]]
    found = []
    for key in keys:
        inliers, matches, homography = _verify(query, candidates[key], matcher)
        if inliers >= min_inliers:
            found.append(Match(key, inliers, matches, homography))
    found.sort(key=lambda m: -m.inliers)
    return found
