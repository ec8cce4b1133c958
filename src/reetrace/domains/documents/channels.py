"""Leak channels for pictures: what happens to a page or a diagram between an issued copy and the leaked picture.

Pure functions of a uint8 picture (grey H×W or colour H×W×3) and, where chance enters, an ``np.random.Generator``;
used by the tests, the benchmark and the demo. They simulate, they do not claim to model every device:

- :func:`jpeg` (quality), :func:`png` (lossless round trip), :func:`rescale` (factor, area or linear filter),
  :func:`crop` (a box, or a random window keeping ``fraction`` of the area);
- :func:`screenshot`: half of a page (top or bottom) shown on a screen at ~96 dpi (the 150 dpi page scaled by
  0.64), saved as PNG;
- :func:`print_scan` at 150 dpi: print blur (Gaussian σ ≈ 0.8 px), a slight rotation (0.5–2°) and perspective
  (corners moved by up to 0.6 % of the side), contrast and gamma change, scanner noise (σ ≈ 2 grey levels), JPEG
  quality 85;
- :func:`phone_photo`: the page photographed: stronger perspective (corners moved up to 4 %), rotation up to 4°,
  the page on a darker background, uneven lighting (a multiplicative gradient and vignette, down to ~70 % at one
  side), defocus blur (σ ≈ 1 px at the page's scale), sensor noise (σ ≈ 3), resampled to ~1.1× the page's
  resolution, JPEG quality 80;
- collusion: :func:`average` of several copies (pixel mean) and :func:`mix_regions` (each tile taken from one
  colluder at random, the picture analogue of mixing codewords position by position).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from reetrace.errors import Detail, Error, invalid

Image = npt.NDArray[np.uint8]


def _bad(message: str, where: str) -> Error:
    return invalid(message, Detail(message, where), code="invalid_channel")


def _check(image: Image) -> Image:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise _bad("the picture must be a uint8 array, grey H×W or colour H×W×3", "image")
    return image


def _u8(values: npt.NDArray[Any]) -> Image:
    return np.asarray(np.clip(np.rint(values), 0, 255), dtype=np.uint8)


def jpeg(image: Image, quality: int) -> Image:
    """Encode as JPEG at ``quality`` (1-100) and decode."""
    _check(image)
    if not 1 <= quality <= 100:
        raise _bad(f"JPEG quality must be from 1 to 100, got {quality}", "quality")
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise _bad("JPEG encoding failed", "image")
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_UNCHANGED), dtype=np.uint8)


def png(image: Image) -> Image:
    """A lossless PNG round trip (what a screenshot tool writes)."""
    _check(image)
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise _bad("PNG encoding failed", "image")
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_UNCHANGED), dtype=np.uint8)


def rescale(image: Image, factor: float) -> Image:
    """Resize by ``factor`` (area filter when shrinking, linear when enlarging)."""
    _check(image)
    if not 0.05 <= factor <= 8.0:
        raise _bad(f"the scale factor must be between 0.05 and 8, got {factor}", "factor")
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    mode = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, size, interpolation=mode), dtype=np.uint8)


def crop(
    image: Image, *, box: tuple[int, int, int, int] | None = None, fraction: float | None = None,
    rng: np.random.Generator | None = None,
) -> Image:
    """A box ``(x0, y0, x1, y1)``, or a random window with the picture's aspect keeping ``fraction`` of its area."""
    _check(image)
    h, w = image.shape[:2]
    if box is not None:
        x0, y0, x1, y1 = box
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise _bad(f"crop box {box} is not inside the {w}x{h} picture", "box")
        return image[y0:y1, x0:x1].copy()
    if fraction is None or not 0.0 < fraction <= 1.0:
        raise _bad(f"give a box or a fraction in (0, 1], got {fraction!r}", "fraction")
    gen = rng if rng is not None else np.random.default_rng(0)
    side = float(np.sqrt(fraction))
    ch, cw = max(1, round(h * side)), max(1, round(w * side))
    y0 = int(gen.integers(0, h - ch + 1))
    x0 = int(gen.integers(0, w - cw + 1))
    return image[y0:y0 + ch, x0:x0 + cw].copy()


def screenshot(image: Image, rng: np.random.Generator, *, screen_dpi: float = 96.0, page_dpi: float = 150.0) -> Image:
    """Half of the page (top or bottom, at random) at screen resolution, saved as PNG."""
    _check(image)
    h = image.shape[0]
    half = image[: h // 2] if rng.random() < 0.5 else image[h // 2:]
    return png(rescale(half, screen_dpi / page_dpi))


def _perspective(image: Image, corners_moved: npt.NDArray[np.float64], angle: float, border: int,
                 out_scale: float = 1.0) -> Image:
    h, w = image.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    centre = np.array([w / 2, h / 2])
    rad = np.deg2rad(angle)
    rot = np.array([[np.cos(rad), -np.sin(rad)], [np.sin(rad), np.cos(rad)]])
    dst = (src - centre) @ rot.T + centre + corners_moved * np.array([w, h])
    pad_x, pad_y = 0.06 * w, 0.06 * h
    dst += np.array([pad_x, pad_y])
    dst *= out_scale
    size = (round((w + 2 * pad_x) * out_scale), round((h + 2 * pad_y) * out_scale))
    hom = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    fill = (border,) * (3 if image.ndim == 3 else 1)
    return np.asarray(cv2.warpPerspective(image, hom, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                          borderValue=fill), dtype=np.uint8)


def _tone(values: npt.NDArray[np.float32], contrast: float, gamma: float, offset: float) -> npt.NDArray[np.float32]:
    norm = np.clip(values / 255.0, 0.0, 1.0)
    out = 255.0 * np.power(norm, gamma)
    return np.asarray((out - 128.0) * contrast + 128.0 + offset, dtype=np.float32)


def print_scan(image: Image, rng: np.random.Generator) -> Image:
    """Printed and scanned at 150 dpi: blur, slight rotation and perspective, tone change, noise, JPEG 85."""
    _check(image)
    blurred = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 0.8)
    angle = float(rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0]))
    moved = rng.uniform(-0.006, 0.006, size=(4, 2))
    warped = _perspective(_u8(blurred), moved, angle, border=235).astype(np.float32)
    toned = _tone(warped, float(rng.uniform(0.9, 1.05)), float(rng.uniform(0.85, 1.15)), float(rng.uniform(-6, 3)))
    noisy = toned + rng.normal(0.0, 2.0, size=toned.shape).astype(np.float32)
    return jpeg(_u8(noisy), 85)


def phone_photo(image: Image, rng: np.random.Generator) -> Image:
    """Photographed with a phone: perspective, rotation, uneven light, blur, noise, resampling, JPEG 80."""
    _check(image)
    angle = float(rng.uniform(-4.0, 4.0))
    moved = rng.uniform(-0.04, 0.04, size=(4, 2))
    scale = float(rng.uniform(1.0, 1.2))
    warped = _perspective(image, moved, angle, border=60, out_scale=scale).astype(np.float32)
    h, w = warped.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.uniform(-1.0, 1.0, size=2)
    ramp = (direction[0] * (xx / w - 0.5) + direction[1] * (yy / h - 0.5)).astype(np.float32)
    vignette = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2).astype(np.float32)
    light = np.clip(0.92 + 0.25 * ramp - 0.35 * vignette, 0.6, 1.05).astype(np.float32)
    if warped.ndim == 3:
        light = light[:, :, None]
    lit = warped * light
    lit = cv2.GaussianBlur(lit, (0, 0), 1.0 * scale)
    toned = _tone(lit, float(rng.uniform(0.9, 1.05)), float(rng.uniform(0.85, 1.15)), 0.0)
    noisy = toned + rng.normal(0.0, 3.0, size=toned.shape).astype(np.float32)
    return jpeg(_u8(noisy), 80)


def _same_shapes(images: Sequence[Image]) -> None:
    if len(images) < 1:
        raise _bad("collusion needs at least one copy", "images")
    for image in images:
        _check(image)
    if len({im.shape for im in images}) != 1:
        raise _bad("colluding copies must have the same shape", "images")


def average(images: Sequence[Image]) -> Image:
    """The pixel mean of the colluders' copies."""
    _same_shapes(images)
    return _u8(np.mean(np.stack([im.astype(np.float32) for im in images]), axis=0))


def mix_regions(images: Sequence[Image], rng: np.random.Generator, *, tile: int = 64) -> Image:
    """Each ``tile``×``tile`` block taken from one colluder chosen at random."""
    _same_shapes(images)
    if tile < 1:
        raise _bad(f"tile must be a positive number of pixels, got {tile}", "tile")
    h, w = images[0].shape[:2]
    rows, cols = -(-h // tile), -(-w // tile)
    choice = rng.integers(0, len(images), size=(rows, cols))
    pick = np.kron(choice, np.ones((tile, tile), dtype=np.int64))[:h, :w]
    out = images[0].copy()
    for index, image in enumerate(images[1:], start=1):
        out[pick == index] = image[pick == index]
    return out
