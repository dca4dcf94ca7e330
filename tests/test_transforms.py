"""Random transforms: they move the image, differently at every call, alike for a whole batch."""
import numpy as np
import pytest
import tensorflow as tf

from tfart import transforms


def ramp(size=24, batch=1):
    """An image with no symmetry: every pixel different, [batch, size, size, 3] in [0, 1]."""
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.stack([x, y, x * y], -1)[None].astype("float32")
    return tf.constant(np.repeat(image, batch, axis=0))


def test_rotation_draws_a_new_angle_at_every_call_within_the_bound():
    image = ramp()
    outs = [transforms.random_rotate(30.0)(image).numpy() for _ in range(12)]
    assert len({o.tobytes() for o in outs}) == 12  # a fixed angle gives one output
    assert all(np.abs(o - image.numpy()).mean() > 1e-4 for o in outs)
    # The angle can be recovered from how far the corners moved: some left, some right.
    turns = [np.sign(o[0, 2, 12, 0] - image.numpy()[0, 2, 12, 0]) for o in outs]
    assert {-1.0, 1.0} <= set(turns)


def test_rotation_by_zero_and_scale_by_one_are_the_identity():
    image = ramp()
    np.testing.assert_allclose(transforms.random_rotate(0.0)(image), image, atol=1e-6)
    np.testing.assert_allclose(transforms.random_scale([1.0])(image), image, atol=1e-6)


def test_rotation_turns_about_the_centre():
    image = np.zeros((1, 21, 21, 3), np.float32)
    image[0, 10, 15] = 1.0  # a dot 5 px right of the centre
    turned = transforms._warp(tf.constant(image), np.cos(np.pi / 2), np.sin(np.pi / 2), fill=0.0).numpy()
    y, x = np.unravel_index(turned[0, :, :, 0].argmax(), (21, 21))
    assert (y, x) == (5, 10) or (y, x) == (15, 10)  # a quarter turn puts it above or below the centre
    assert turned[0, 10, 10, 0] == 0 and turned.sum() == pytest.approx(3.0, abs=1e-4)


def test_scale_zooms_about_the_centre_and_keeps_the_size():
    image = ramp(24)
    zoomed = transforms.random_scale([2.0])(image).numpy()
    assert zoomed.shape == image.shape
    # Doubling shows the middle half: the centre stays, the corners come from near the centre.
    np.testing.assert_allclose(zoomed[0, 11:13, 11:13], image.numpy()[0, 11:13, 11:13], atol=0.03)
    assert abs(zoomed[0, 0, 0, 0] - image.numpy()[0, 6, 6, 0]) < 0.03
    shrunk = transforms.random_scale([0.5])(image).numpy()
    np.testing.assert_allclose(shrunk[0, 0, 0], [0.5, 0.5, 0.5])  # outside: the grey fill


def test_jitter_shifts_by_a_random_amount_within_the_bound():
    image = ramp(24)
    outs = [transforms.jitter(4)(image).numpy() for _ in range(30)]
    assert all(o.shape == (1, 20, 20, 3) for o in outs)
    offsets = {(int(round(o[0, 0, 0, 1] * 24)), int(round(o[0, 0, 0, 0] * 24))) for o in outs}
    assert len(offsets) > 5 and all(0 <= dy <= 4 and 0 <= dx <= 4 for dy, dx in offsets)


def test_every_transform_moves_a_whole_batch_alike():
    batch = ramp(32, batch=2)
    for _ in range(5):
        out = transforms.standard(32)(batch).numpy()
        np.testing.assert_array_equal(out[0], out[1])


def test_transforms_keep_gradients_flowing():
    image = tf.Variable(ramp(32))
    with tf.GradientTape() as tape:
        out = transforms.standard(32)(image)
        loss = tf.reduce_mean(out * out)
    grad = tape.gradient(loss, image)
    assert out.shape[-1] == 3 and grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_warp_matches_a_numpy_bilinear_reference_on_a_non_square_image():
    image = np.random.default_rng(0).uniform(size=(1, 9, 14, 3)).astype("float32")
    cos, sin = 0.8 * np.cos(0.3), 0.8 * np.sin(0.3)  # a zoom by 1.25 and a turn
    out = transforms._warp(tf.constant(image), cos, sin, fill=0.25).numpy()
    h, w = 9, 14

    def tap(y, x):
        return image[0, y, x] if 0 <= x <= w - 1 and 0 <= y <= h - 1 else np.full(3, 0.25)
    expected = np.empty_like(out)
    for i in range(h):
        for j in range(w):
            x, y = j - (w - 1) / 2, i - (h - 1) / 2
            sx, sy = cos * x - sin * y + (w - 1) / 2, sin * x + cos * y + (h - 1) / 2
            x0, y0 = int(np.floor(sx)), int(np.floor(sy))
            fx, fy = sx - x0, sy - y0
            expected[0, i, j] = ((tap(y0, x0) * (1 - fx) + tap(y0, x0 + 1) * fx) * (1 - fy)
                                 + (tap(y0 + 1, x0) * (1 - fx) + tap(y0 + 1, x0 + 1) * fx) * fy)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_a_seed_repeats_the_transforms_and_replay_puts_the_draws_back():
    image = tf.constant(np.random.default_rng(0).uniform(size=(1, 32, 32, 3)), tf.float32)
    moved = tf.function(transforms.standard(32))
    transforms.seed(5)
    first = [moved(image).numpy() for _ in range(3)]
    transforms.seed(5)
    np.testing.assert_array_equal(np.stack(first), np.stack([moved(image).numpy() for _ in range(3)]))
    with transforms.replay():
        inside = moved(image).numpy()
    again, after = moved(image).numpy(), moved(image).numpy()
    np.testing.assert_array_equal(inside, again)  # the same draws once more
    assert np.abs(after - again).max() > 0.01  # then new ones


def test_blur_spreads_a_point_by_its_sigma_and_keeps_flat_images_and_ink():
    point = np.zeros((1, 33, 33, 3), np.float32)
    point[0, 16, 16] = 1.0
    spread = transforms.blur(2.0)(tf.constant(point)).numpy()[0, :, :, 0]
    assert spread.shape == (33, 33) and spread.sum() == pytest.approx(1.0, abs=1e-5)
    rows = np.arange(33) - 16
    assert (spread.sum(1) * rows ** 2).sum() == pytest.approx(4.0, rel=0.02)  # variance sigma^2
    np.testing.assert_allclose(spread, spread.T, atol=1e-7)
    flat = np.full((2, 12, 12, 3), 0.3, np.float32)
    np.testing.assert_allclose(transforms.blur(1.5)(tf.constant(flat)).numpy(), flat, atol=1e-6)


def test_beside_blurred_puts_each_image_and_its_blurred_view_in_one_batch():
    image = ramp(16, batch=2)
    both = transforms.beside_blurred(1.5)(image).numpy()
    assert both.shape == (4, 16, 16, 3)
    np.testing.assert_allclose(both[:2], image.numpy())
    np.testing.assert_allclose(both[2:], transforms.blur(1.5)(image).numpy(), atol=1e-6)
