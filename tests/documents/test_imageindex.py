"""Which registered page or picture a leaked picture shows: ten look-alike pages, crops, rescales, print-scan."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from spec_texts import EN_TEXT

from reetrace.domains.documents import imageindex
from reetrace.domains.documents.imageindex import Descriptors, describe, from_bytes, match, to_bytes
from reetrace.domains.documents.pages import render
from reetrace.errors import Error

pytestmark = pytest.mark.usefixtures("system_fonts")  # pages are drawn with DejaVu Sans

VOCABULARY = sorted(set(EN_TEXT.replace(".", "").replace(",", "").split()))


def page_text(seed: int, words: int = 380) -> str:
    """A page of technical-sounding text: the same words, font and layout on every page, in a different order."""
    chosen = np.random.default_rng(seed).choice(VOCABULARY, words)
    return "\n\n".join(" ".join(chosen[k:k + 60]).capitalize() + "." for k in range(0, words, 60))


def jpeg(image: npt.NDArray[np.uint8], quality: int) -> npt.NDArray[np.uint8]:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE), dtype=np.uint8)


def print_scan(image: npt.NDArray[np.uint8], rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    h, w = image.shape
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    warp = cv2.getPerspectiveTransform(corners, corners + rng.normal(0, 8, (4, 2)).astype(np.float32))
    warp = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), 1.5, 1.0), [0, 0, 1]]) @ warp
    scanned = cv2.GaussianBlur(cv2.warpPerspective(image, warp, (w, h), borderValue=255), (0, 0), 1.2)
    return jpeg(np.clip(scanned * 0.8 + 30 + rng.normal(0, 5, scanned.shape), 0, 255).astype(np.uint8), 60)


@pytest.fixture(scope="module")
def library() -> tuple[list[npt.NDArray[np.uint8]], dict[str, Descriptors]]:
    images = [render(page_text(seed)).pages[0].image for seed in range(10)]
    stored = {f"RT-DOC-{k}:p1": from_bytes(to_bytes(describe(image))) for k, image in enumerate(images)}
    return images, stored


def test_descriptions_and_their_byte_form(library: tuple[list[npt.NDArray[np.uint8]], dict[str, Descriptors]]) -> None:
    images, _ = library
    desc = describe(images[0])
    assert 500 < len(desc) < 5000 and desc.descriptors.shape == (len(desc), 32)
    assert (desc.width, desc.height) == (1240, 1754)
    assert desc.points[:, 0].max() < 1240 and desc.points[:, 1].max() < 1754  # in the picture's own pixels
    back = from_bytes(to_bytes(desc))
    assert np.array_equal(back.points, desc.points) and np.array_equal(back.descriptors, desc.descriptors)
    assert np.array_equal(describe(images[0]).descriptors, desc.descriptors)  # deterministic
    colour = describe(np.dstack([images[0]] * 3))
    assert len(colour) == len(desc)


@pytest.mark.parametrize("channel", ["quarter", "half_scale", "jpeg50", "print_scan", "quarter_at_half_scale",
                                     "screenshot_of_half"])
def test_the_right_page_with_a_clear_margin(library: tuple[list[npt.NDArray[np.uint8]], dict[str, Descriptors]],
                                            channel: str) -> None:
    images, stored = library
    page = images[4]
    h, w = page.shape
    leak = {
        "quarter": page[: h // 2, : w // 2],
        "half_scale": cv2.resize(page, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
        "jpeg50": jpeg(page, 50),
        "print_scan": print_scan(page, np.random.default_rng(3)),
        "quarter_at_half_scale": cv2.resize(page[h // 2:, w // 2:], (w // 4, h // 4), interpolation=cv2.INTER_AREA),
        "screenshot_of_half": jpeg(cv2.resize(page[: h // 2], (900, 636), interpolation=cv2.INTER_AREA), 85),
    }[channel]
    found = match(describe(leak), stored)
    assert found and found[0].key == "RT-DOC-4:p1", [(m.key, m.inliers) for m in found]
    assert found[0].inliers >= 3 * imageindex.MIN_INLIERS
    assert len(found) == 1 or found[1].inliers * 3 < found[0].inliers
    if channel == "half_scale":  # the homography maps the leak's pixels onto the page's
        corner = found[0].homography @ np.array([w // 2, h // 2, 1.0])
        assert np.allclose(corner[:2] / corner[2], (w, h), atol=6)


def test_not_one_of_ours(library: tuple[list[npt.NDArray[np.uint8]], dict[str, Descriptors]]) -> None:
    _, stored = library
    stranger = render(page_text(99)).pages[0].image
    assert match(describe(stranger), stored) == []
    diagram = np.full((600, 800), 255, dtype=np.uint8)
    for k in range(5):
        cv2.rectangle(diagram, (40 + 150 * k, 200), (140 + 150 * k, 300), 0, 3)
        cv2.putText(diagram, f"S{k}", (70 + 150 * k, 260), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    assert match(describe(diagram), stored) == []
    assert match(describe(np.full((300, 300), 255, dtype=np.uint8)), stored) == []  # a blank picture has no features
    assert match(describe(stranger), {}) == []


def test_bad_input() -> None:
    with pytest.raises(Error) as caught:
        describe(np.full((40, 500), 255, dtype=np.uint8))
    assert caught.value.code == "image_too_small" and "500x40 px, at least 64" in caught.value.message
    with pytest.raises(Error, match="grayscale or RGB uint8"):
        describe(np.zeros((100, 100), dtype=np.float64))
    with pytest.raises(Error, match="wrong header"):
        from_bytes(b"PNG...")
    with pytest.raises(Error, match="expected for"):
        from_bytes(to_bytes(describe(np.random.default_rng(1).integers(0, 256, (200, 200), dtype=np.uint8)))[:-5])
