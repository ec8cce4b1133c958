"""Image marks: embed a Tardos codeword in a text page and a diagram, leak through each channel, read, accuse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from pictures import diagram, text_page

from reetrace.domains.documents import channels, imagemarks, tardos
from reetrace.errors import Error

KEY = b"reetrace-test-key-0123456789abcdef"
MARK_KEY = b"reetrace-image-mark-key-0123456789"
COPIES = 200
Image = npt.NDArray[np.uint8]


@dataclass
class Issued:
    master: Image
    code: tardos.TardosCode
    recipients: list[str]
    words: npt.NDArray[np.uint8]

    def copy(self, j: int) -> Image:
        return imagemarks.embed(self.master, MARK_KEY, self.words[j])


def _issue(master: Image, document: str, colluders: int) -> Issued:
    code = tardos.generate_code(KEY, document, colluders=colluders)
    assert code.length <= imagemarks.capacity(master.shape)
    recipients = [f"RT-CPY-{i:05d}" for i in range(COPIES)]
    return Issued(master, code, recipients, tardos.codebook(KEY, code, recipients))


@pytest.fixture(scope="module")
def page() -> Issued:
    return _issue(text_page(7), "RT-DOC-2026-000007@v1", 3)


@pytest.fixture(scope="module")
def chart() -> Issued:
    return _issue(diagram(8), "RT-DOC-2026-000008@v1", 2)


def _trace(issued: Issued, leaked: Image) -> tuple[imagemarks.MarkReading, tardos.Accusation]:
    reading = imagemarks.read(issued.master, leaked, MARK_KEY, issued.code.length)
    return reading, tardos.accuse(issued.code, issued.recipients, issued.words, reading.bits)


def _bit_errors(reading: imagemarks.MarkReading, word: npt.NDArray[np.uint8]) -> float:
    read = reading.bits != imagemarks.ERASED
    return float((reading.bits[read] != word[read]).mean())


CHANNELS: dict[str, Callable[[Image, np.random.Generator], Image]] = {
    "whole": lambda im, rng: im,
    "jpeg50": lambda im, rng: channels.jpeg(im, 50),
    "rescale50": lambda im, rng: channels.rescale(im, 0.5),
    "quarter": lambda im, rng: channels.crop(im, fraction=0.25, rng=rng),
    "screenshot": lambda im, rng: channels.screenshot(im, rng),
    "print_scan": lambda im, rng: channels.print_scan(im, rng),
    "phone_photo": lambda im, rng: channels.phone_photo(im, rng),
}
MIN_READ = {"quarter": 0.6, "screenshot": 0.8}


@pytest.mark.parametrize("picture", ["page", "chart"])
@pytest.mark.parametrize("channel", list(CHANNELS))
def test_single_leaker_is_named_through_each_channel(
    picture: str, channel: str, request: pytest.FixtureRequest,
) -> None:
    issued: Issued = request.getfixturevalue(picture)
    leaker = 17 if picture == "page" else 41
    rng = np.random.default_rng(len(channel) * 31 + len(picture))
    leaked = CHANNELS[channel](issued.copy(leaker), rng)
    reading, accusation = _trace(issued, leaked)
    assert reading.registration is not None and reading.registration.ok, reading.note
    assert reading.positions_read >= MIN_READ.get(channel, 0.95) * issued.code.length, reading.note
    assert _bit_errors(reading, issued.words[leaker]) < 0.02
    assert [s.recipient for s in accusation.accused] == [issued.recipients[leaker]], accusation.note
    if channel == "quarter":
        assert 0.2 < reading.coverage < 0.3


@pytest.mark.parametrize(("picture", "colluders", "mode"), [
    ("chart", 2, "average"), ("chart", 2, "mix"), ("page", 3, "average"), ("page", 3, "mix"),
])
def test_colluders_are_accused_and_no_innocent(
    picture: str, colluders: int, mode: str, request: pytest.FixtureRequest,
) -> None:
    issued: Issued = request.getfixturevalue(picture)
    gang = [3, 99, 150][:colluders]
    copies = [issued.copy(j) for j in gang]
    rng = np.random.default_rng(colluders)
    leaked = channels.average(copies) if mode == "average" else channels.mix_regions(copies, rng)
    reading, accusation = _trace(issued, channels.jpeg(leaked, 75))
    read = reading.bits != imagemarks.ERASED
    agrees = (issued.words[gang][:, read] == reading.bits[read]).any(axis=0)
    assert agrees.mean() > 0.98  # the marking assumption holds for what was read
    accused = {s.recipient for s in accusation.accused}
    assert accused, accusation.note
    assert accused <= {issued.recipients[j] for j in gang}


def test_copies_are_faint_and_differ_only_by_the_mark(chart: Issued) -> None:
    base = imagemarks.reference(chart.master).astype(np.float64)
    copy = chart.copy(0).astype(np.float64)
    psnr = 10 * np.log10(255.0**2 / np.mean((copy - base) ** 2))
    assert psnr > 38
    assert np.abs(copy - base).max() <= imagemarks.AMPLITUDE + 1
    assert imagemarks.reference(chart.master).min() >= imagemarks.INK - 1
    assert imagemarks.reference(chart.master).max() <= imagemarks.PAPER + 1
    assert not np.array_equal(chart.copy(0), chart.copy(1))


def test_same_key_reproduces_the_copy_and_another_key_reads_nothing(chart: Issued) -> None:
    copy = chart.copy(5)
    assert np.array_equal(copy, chart.copy(5))
    reading = imagemarks.read(chart.master, copy, b"another-image-mark-key-012345678", chart.code.length)
    assert reading.registration is not None and reading.registration.ok
    accusation = tardos.accuse(chart.code, chart.recipients, chart.words, reading.bits)
    assert not accusation.accused


def test_an_unmarked_master_accuses_nobody(page: Issued) -> None:
    reading, accusation = _trace(page, channels.jpeg(imagemarks.reference(page.master), 60))
    assert reading.registration is not None and reading.registration.ok
    assert reading.positions_read < 0.5 * page.code.length  # noise crosses the threshold now and then
    assert not accusation.accused


def test_excluded_boxes_carry_nothing(chart: Issued) -> None:
    box = (0, 600, 1000, 700)
    copy = imagemarks.embed(chart.master, MARK_KEY, chart.words[2], exclude=[box])
    base = imagemarks.reference(chart.master)
    assert np.array_equal(copy[600:, :], base[600:, :])
    assert not np.array_equal(copy[:590], base[:590])
    reading = imagemarks.read(chart.master, copy, MARK_KEY, chart.code.length, exclude=[box])
    assert _bit_errors(reading, chart.words[2]) == 0.0


def test_capacity_matches_the_docstring() -> None:
    assert imagemarks.capacity((1754, 1240)) == 1879
    assert imagemarks.capacity((700, 1000, 3)) == 601
    assert imagemarks.capacity((128, 128)) == 12


def test_too_small_image_is_refused_with_its_size() -> None:
    with pytest.raises(Error) as caught:
        imagemarks.capacity((100, 300))
    assert caught.value.code == "image_too_small"
    assert "300x100 px" in caught.value.message and "128" in caught.value.message
    with pytest.raises(Error):
        imagemarks.embed(np.full((90, 90), 255, np.uint8), MARK_KEY, np.zeros(4, np.uint8))


def test_bad_input_is_refused() -> None:
    master = np.full((256, 256), 255, np.uint8)
    with pytest.raises(Error):
        imagemarks.embed(master, b"short", np.zeros(4, np.uint8))
    with pytest.raises(Error):
        imagemarks.embed(master, MARK_KEY, np.array([0, 2, 1]))
    with pytest.raises(Error):
        imagemarks.embed(master, MARK_KEY, np.zeros(imagemarks.capacity(master.shape) + 1, np.uint8))
    with pytest.raises(Error):
        imagemarks.embed(master.astype(np.float32), MARK_KEY, np.zeros(4, np.uint8))  # type: ignore[arg-type]
    with pytest.raises(Error):
        imagemarks.embed(master, MARK_KEY, np.zeros(4, np.uint8), exclude=[(0, 0, 300, 10)])
    with pytest.raises(Error):
        imagemarks.read(master, master, MARK_KEY, 0)


def test_registration_does_not_depend_on_what_ran_before(chart: Issued) -> None:
    """FLANN's random trees and RANSAC draw from OpenCV's per-thread generator: whatever drew from it before (another
    trace in the same worker thread) must not change the map, so a phone photo reads the same every time."""
    import cv2

    leaked = channels.phone_photo(chart.copy(41), np.random.default_rng(3))
    maps = []
    for seed in (1, 2, 3):
        cv2.setRNGSeed(seed)
        cv2.randu(np.zeros((64, 64), np.float32), 0, 1)  # something else drew from the generator
        registration = imagemarks.register(chart.master, leaked)
        assert registration.ok, registration.note
        maps.append(registration.homography)
    assert all(np.array_equal(maps[0], m) for m in maps[1:])


def test_unrelated_picture_is_not_registered(page: Issued) -> None:
    other = diagram(99)
    reading = imagemarks.read(page.master, other, MARK_KEY, page.code.length)
    assert reading.registration is not None and not reading.registration.ok
    assert reading.note.startswith("could not register")
    assert reading.positions_read == 0 and (reading.bits == imagemarks.ERASED).all()
    noise = np.random.default_rng(0).integers(0, 256, size=(600, 400), dtype=np.uint8)
    assert not imagemarks.register(page.master, noise).ok
    assert not imagemarks.register(page.master, np.zeros((20, 20), np.uint8)).ok


def test_blank_image_carries_a_mark_in_its_paper_tone() -> None:
    blank = np.full((400, 400), 255, np.uint8)
    bits = np.random.default_rng(3).integers(0, 2, imagemarks.capacity(blank.shape)).astype(np.uint8)
    copy = imagemarks.embed(blank, MARK_KEY, bits)
    reading = imagemarks.read(blank, channels.jpeg(copy, 50), MARK_KEY, bits.shape[0])
    assert reading.positions_read > 0.95 * bits.shape[0]
    assert _bit_errors(reading, bits) < 0.02
    cropped = imagemarks.read(blank, copy[:300], MARK_KEY, bits.shape[0])  # a featureless master cannot be placed
    assert cropped.registration is not None and not cropped.registration.ok
    assert cropped.positions_read == 0
