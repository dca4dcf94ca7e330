"""The stroke renderer against a brute-force rasterization, its gradients, sizes and SVG."""
import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfart import coords, rendering
from tfart.errors import UserError
from tfart.generators.strokes import SEGMENTS, Strokes


def brute_force(g, height, width):
    """The same box-filtered coverage and "over" compositing, one pixel and one stroke at a time."""
    points = g.control_points().numpy().astype(np.float64)
    colours, widths = g.colours().numpy(), g.widths().numpy()
    opacities, background = g.opacities().numpy(), g.background().numpy()
    xy = coords.grid(height, width).numpy().astype(np.float64)
    pitch = 2.0 / min(height, width)
    t = np.linspace(0, 1, SEGMENTS + 1)
    image = np.zeros((height, width, 3))
    for i in range(height):
        for j in range(width):
            p, colour = xy[i, j], background.astype(np.float64)
            for (p0, p1, p2), c, w, a in zip(points, colours, widths, opacities):
                curve = [(1 - s) ** 2 * p0 + 2 * (1 - s) * s * p1 + s ** 2 * p2 for s in t]
                d = min(np.linalg.norm(p - (u + np.clip(np.dot(p - u, v - u) / np.dot(v - u, v - u), 0, 1) * (v - u)))
                        for u, v in zip(curve[:-1], curve[1:]))
                alpha = a * (1 / (1 + np.exp(-(d + w / 2) / pitch * 4)) - 1 / (1 + np.exp(-(d - w / 2) / pitch * 4)))
                colour = colour * (1 - alpha) + c * alpha
            image[i, j] = colour
    return image


@pytest.mark.parametrize("style, curves", [("ink", True), ("marker", False)])
def test_render_equals_a_brute_force_rasterization(style, curves):
    g = Strokes(strokes=4, style=style, curves=curves, seed=5)
    np.testing.assert_allclose(g.image(12, 17).numpy()[0], brute_force(g, 12, 17), atol=2e-5)


def test_gradients_reach_every_parameter_of_every_stroke():
    g = Strokes(strokes=6, style="marker", seed=2)
    weights = tf.constant(np.random.default_rng(0).normal(size=(1, 48, 48, 3)), tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(g.image(48, 48) * weights)
    for variable, grad in zip(g.trainable_variables, tape.gradient(loss, g.trainable_variables)):
        per_stroke = np.abs(grad.numpy()).reshape(len(grad), -1).max(axis=1) if len(grad.shape) > 1 \
            else np.abs(grad.numpy())
        assert np.all(per_stroke > 0), variable.name


def test_twice_the_size_is_the_same_picture():
    g = Strokes(strokes=20, style="ink", seed=1)
    small = g.image(64, 96).numpy()
    big = rendering.render(g, 128, 192).reshape(1, 64, 2, 96, 2, 3).mean(axis=(2, 4))
    assert np.abs(big - small).mean() < 0.005  # edges are antialiased over one pixel of each size


def test_a_one_pixel_tile_is_drawn_at_the_canvas_pitch():
    g = Strokes(strokes=32, style="ink", seed=0)
    assert g.default_tile == 181  # so a 182 px canvas ends in a 1x1 tile at (181, 181)
    np.testing.assert_allclose(rendering.render(g, 182, 182), g.image(182, 182).numpy(), atol=1e-5)


def rasterized_svg(g, height, width):
    import resvg_py as resvg  # a real SVG renderer (Rust, in the test extra)
    svg = g.to_svg(height, width)
    assert svg.count("<path ") == g.strokes and (" Q" in svg)
    return np.asarray(Image.open(io.BytesIO(bytes(resvg.svg_to_bytes(svg_string=svg)))).convert("RGB"),
                      np.float32) / 255


@pytest.mark.parametrize("style, curves, most", [("ink", True, 0.4), ("marker", False, 0.3)])
def test_the_svg_rasterized_by_resvg_matches_the_render(style, curves, most):
    g = Strokes(strokes=24, style=style, curves=curves, seed=3)
    difference = np.abs(rendering.render(g, 96, 128)[0] - rasterized_svg(g, 96, 128))
    assert difference.mean() < 0.015 and np.percentile(difference, 99) < 0.2  # antialiasing differs at edges
    # A hairline's centre within its pixel moves resvg's antialiasing by up to 0.35; translucent
    # marker strokes overlap, and drawn in another order they differ by 0.4 and more.
    assert difference.max() < most


@pytest.mark.parametrize("size, most", [(48, 1.3), (96, 1.15), (224, 1.03)])
def test_hairlines_carry_the_ink_of_the_svg(size, most):
    # Ink strokes are 0.24 to 0.72 px wide at 48 px. Their cross-sections carry exactly their width
    # in ink; what is left over at 48 px is the blur around the round caps of strokes 2 px long.
    g = Strokes(strokes=32, style="ink", seed=3)
    ink = lambda image: np.sum(g.background().numpy() - image)  # noqa: E731
    ratio = ink(rendering.render(g, size, size)[0]) / ink(rasterized_svg(g, size, size))
    assert 0.97 < ratio < most


def test_bad_arguments():
    with pytest.raises(UserError, match="--strokes: must be at least 1"):
        Strokes(strokes=0)
    with pytest.raises(UserError, match="--style: choose from ink, marker"):
        Strokes(style="crayon")
