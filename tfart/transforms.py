"""Differentiable random transforms, applied to the image before the backbone sees it.

Small random shifts, scales and rotations at every step make an optimized image robust: the
features it excites must survive them, which removes the high-frequency adversarial patterns that
plain pixel optimization finds. Each transform maps [B, H, W, 3] -> [B, H', W', 3] and lets
gradients through to the image. `compose` chains them.
"""
import math

import tensorflow as tf


def pad(pixels, value=0.5):
    """Pad by a constant border (keeps transforms from wrapping the image's edges in)."""
    return lambda image: tf.pad(image, [[0, 0], [pixels, pixels], [pixels, pixels], [0, 0]],
                                constant_values=value)


def jitter(pixels):
    """Random crop that drops up to `pixels` rows and columns: a random shift."""
    def fn(image):
        shape = tf.shape(image)
        size = tf.stack([shape[0], shape[1] - pixels, shape[2] - pixels, shape[3]])
        return tf.image.random_crop(image, size)
    return fn


def random_scale(scales):
    """Resize by a factor drawn from `scales` (e.g. [0.9, 1.0, 1.1]), bilinearly."""
    scales = tf.constant(scales, tf.float32)

    def fn(image):
        factor = tf.gather(scales, tf.random.uniform([], 0, tf.size(scales), tf.int32))
        size = tf.cast(tf.cast(tf.shape(image)[1:3], tf.float32) * factor, tf.int32)
        return tf.image.resize(image, size, "bilinear")
    return fn


def random_rotate(degrees):
    """Rotate about the centre by an angle drawn uniformly from [-degrees, degrees]."""
    def fn(image):
        angle = tf.random.uniform([], -degrees, degrees) * math.pi / 180.0
        shape = tf.cast(tf.shape(image), tf.float32)
        h, w = shape[1], shape[2]
        cos, sin = tf.cos(angle), tf.sin(angle)
        # Output pixel (x, y) samples the input at R(x - c) + c.
        cx, cy = (w - 1) / 2, (h - 1) / 2
        matrix = tf.stack([cos, -sin, cx - cos * cx + sin * cy,
                           sin, cos, cy - sin * cx - cos * cy, 0.0, 0.0])
        transforms = tf.tile(matrix[None], [tf.shape(image)[0], 1])
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=image, transforms=transforms, output_shape=tf.shape(image)[1:3],
            fill_value=0.5, interpolation="BILINEAR", fill_mode="CONSTANT")
    return fn


def compose(*transforms):
    """Apply transforms in order."""
    def fn(image):
        for t in transforms:
            image = t(image)
        return image
    return fn


def standard(size):
    """Lucid's robust set, scaled to the image size: pad, jitter, scale, rotate, jitter."""
    unit = max(1, size // 64)
    return compose(pad(2 * unit), jitter(2 * unit), random_scale([1 + (i - 5) / 50 for i in range(11)]),
                   random_rotate(5.0), jitter(unit))
