"""Leak channel simulations: shapes, determinism for a seed, what each one changes, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from pictures import diagram, text_page

from reetrace.domains.documents import channels
from reetrace.errors import Error


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return text_page(5, width=620, height=877, scale=0.4)


def test_jpeg_png_and_rescale(page: np.ndarray) -> None:
    assert np.array_equal(channels.png(page), page)
    lossy = channels.jpeg(page, 50)
    assert lossy.shape == page.shape and not np.array_equal(lossy, page)
    assert np.abs(lossy.astype(int) - page).mean() < 10
    assert channels.rescale(page, 0.5).shape == (438, 310)
    assert channels.rescale(diagram(1), 2.0).shape == (1400, 2000, 3)


def test_crop_by_box_and_by_fraction(page: np.ndarray) -> None:
    assert np.array_equal(channels.crop(page, box=(10, 20, 110, 70)), page[20:70, 10:110])
    quarter = channels.crop(page, fraction=0.25, rng=np.random.default_rng(1))
    assert quarter.shape == (438, 310)


def test_screenshot_is_half_a_page_at_screen_resolution(page: np.ndarray) -> None:
    shot = channels.screenshot(page, np.random.default_rng(0))
    assert shot.shape[1] == round(620 * 96 / 150)
    assert abs(shot.shape[0] - 877 / 2 * 96 / 150) <= 1


def test_print_scan_and_phone_photo_are_seeded_and_change_geometry(page: np.ndarray) -> None:
    scan = channels.print_scan(page, np.random.default_rng(4))
    assert np.array_equal(scan, channels.print_scan(page, np.random.default_rng(4)))
    assert scan.shape[0] > page.shape[0] and scan.shape[1] > page.shape[1]  # rotated onto a larger scanner bed
    photo = channels.phone_photo(page, np.random.default_rng(4))
    assert photo.dtype == np.uint8 and photo.ndim == 2
    corner = photo[:10, :10].astype(float).mean()
    assert corner < 120  # the page lies on a darker background
    assert not np.array_equal(photo, channels.phone_photo(page, np.random.default_rng(5)))


def test_collusion_average_and_tile_mixing() -> None:
    a = np.zeros((100, 130), np.uint8)
    b = np.full((100, 130), 200, np.uint8)
    assert (channels.average([a, b]) == 100).all()
    mixed = channels.mix_regions([a, b], np.random.default_rng(2), tile=10)
    assert set(np.unique(mixed)) == {0, 200}
    tiles = mixed[::10, ::10]
    assert (mixed == np.kron(tiles, np.ones((10, 10), np.uint8))[:100, :130]).all()  # whole tiles from one copy


def test_bad_input_is_refused(page: np.ndarray) -> None:
    with pytest.raises(Error):
        channels.jpeg(page, 0)
    with pytest.raises(Error):
        channels.rescale(page, 0.0)
    with pytest.raises(Error):
        channels.crop(page, box=(0, 0, 10_000, 10))
    with pytest.raises(Error):
        channels.crop(page, fraction=1.5)
    with pytest.raises(Error):
        channels.average([page, page[:10]])
    with pytest.raises(Error):
        channels.average([])
    with pytest.raises(Error):
        channels.png(page.astype(np.float32))  # type: ignore[arg-type]
    with pytest.raises(Error):
        channels.mix_regions([page], np.random.default_rng(0), tile=0)
