import numpy as np
import pytest

from tfart import coords


@pytest.mark.parametrize("height,width", [(1, 1), (7, 13), (64, 32), (33, 100)])
def test_tiles_equal_the_whole(height, width):
    whole = coords.grid(height, width).numpy()
    for top, left, th, tw in [(0, 0, 1, 1), (height // 2, width // 3, height - height // 2, min(2, width - width // 3)),
                              (height - 1, width - 1, 1, 1)]:
        tile = coords.grid(height, width, top, left, th, tw).numpy()
        np.testing.assert_array_equal(tile, whole[top:top + th, left:left + tw])


def test_shorter_side_spans_unit_interval_and_aspect_is_kept():
    xy = coords.grid(50, 100).numpy()
    x, y = xy[..., 0], xy[..., 1]
    assert xy.shape == (50, 100, 2)
    # pixel centres: the first and last centres sit half a pixel inside the edges
    np.testing.assert_allclose([y.min(), y.max()], [-1 + 1 / 50, 1 - 1 / 50], atol=1e-6)
    np.testing.assert_allclose([x.min(), x.max()], [-2 + 1 / 50, 2 - 1 / 50], atol=1e-6)
    # same spacing on both axes: a circle stays a circle
    np.testing.assert_allclose(np.diff(x[0]).mean(), np.diff(y[:, 0]).mean(), rtol=1e-5)
    np.testing.assert_allclose(coords.half_extent(50, 100).numpy(), [2.0, 1.0])


def test_symmetry():
    xy = coords.grid(32, 32)
    mirrored = coords.apply_symmetry(xy, mirror=True).numpy()
    np.testing.assert_allclose(mirrored, mirrored[:, ::-1] * [1, 1], atol=1e-6)
    folded = coords.apply_symmetry(xy, fold=4).numpy()
    # 4-fold: rotating the canvas by 90 degrees leaves the folded coordinates unchanged
    np.testing.assert_allclose(folded, np.rot90(folded, 1, axes=(0, 1)), atol=1e-5)


@pytest.mark.parametrize("height,width", [(4, 8), (8, 4)])
def test_an_offset_moves_every_sample_off_the_pixel_centres(height, width):
    plain = coords.grid(height, width)
    moved = coords.grid(height, width, offset=(0.5, -0.25)).numpy()
    # One pixel is 2/4 plane units on either axis: the shorter side has 4 pixels.
    np.testing.assert_allclose(moved - plain.numpy(), np.broadcast_to([0.25, -0.125], (height, width, 2)),
                               atol=1e-6)
    np.testing.assert_array_equal(coords.grid(height, width, 1, 2, 2, 2, offset=(0.5, -0.25)), moved[1:3, 2:4])
