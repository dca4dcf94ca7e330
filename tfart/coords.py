"""Coordinate grids for CPPN-style generators, for a whole canvas or any tile of it.

A canvas of H x W pixels is mapped to the plane so that its shorter side spans [-1, 1] and its
longer side keeps the aspect ratio (a 2:1 canvas spans [-2, 2] x [-1, 1]); nothing is stretched.
Coordinates sit at pixel centres, so a supersampled grid averages back to the plain one.
Every coordinate is computed from its integer pixel index alone, which makes a tile rendered on
its own bit-identical to the same region of the whole canvas.
"""
import tensorflow as tf


def half_extent(height, width):
    """(half-width, half-height) of the canvas in plane units: [2] float32, the shorter one is 1."""
    height = tf.cast(height, tf.float32)
    width = tf.cast(width, tf.float32)
    short = tf.minimum(height, width)
    return tf.stack([width / short, height / short])


def pitch(height, width):
    """The distance between neighbouring pixel centres of an H x W canvas, in plane units: 2 / short."""
    return 2.0 / tf.cast(tf.minimum(tf.cast(height, tf.int32), tf.cast(width, tf.int32)), tf.float32)


def grid(height, width, top=0, left=0, tile_height=None, tile_width=None, offset=None):
    """(x, y) plane coordinates of a tile of an H x W canvas: [h, w, 2] float32.

    x grows to the right and y downwards; the shorter side of the canvas spans [-1, 1].
    `top`/`left` are the tile's first row/column and `tile_height`/`tile_width` its size
    (the whole canvas by default). All arguments may be Python ints or int32 scalar tensors.
    offset: (dx, dy) in pixels moves every sample off its pixel's centre (None: at the centres).
    """
    tile_height = height if tile_height is None else tile_height
    tile_width = width if tile_width is None else tile_width
    height, width, top, left, tile_height, tile_width = (
        tf.cast(v, tf.int32) for v in (height, width, top, left, tile_height, tile_width))
    short = tf.cast(tf.minimum(height, width), tf.float32)
    rows = tf.range(top, top + tile_height)
    cols = tf.range(left, left + tile_width)
    # (2i + 1 - n) is an exact integer, so the division is the only rounding step.
    y = tf.cast(2 * rows + 1 - height, tf.float32) / short
    x = tf.cast(2 * cols + 1 - width, tf.float32) / short
    if offset is not None:
        offset = 2.0 * tf.cast(offset, tf.float32) / short
        x, y = x + offset[0], y + offset[1]
    yy, xx = tf.meshgrid(y, x, indexing="ij")
    return tf.stack([xx, yy], axis=-1)


def radius(xy):
    """Distance from the canvas centre: [..., 1] for xy [..., 2]."""
    return tf.norm(xy, axis=-1, keepdims=True)


def apply_symmetry(xy, mirror=False, fold=0):
    """Fold the plane before the network sees it: [..., 2] -> [..., 2].

    mirror: left-right mirror symmetry (x -> |x|).
    fold:   k-fold kaleidoscope (k >= 2): every 360/k degree wedge shows the same, mirrored picture.
    """
    if fold and fold >= 2:
        x, y = xy[..., 0], xy[..., 1]
        r = tf.sqrt(x * x + y * y)
        wedge = 2.0 * 3.141592653589793 / fold
        angle = tf.math.floormod(tf.atan2(y, x), wedge)
        angle = tf.abs(angle - wedge / 2)  # mirror inside each wedge: no seams between wedges
        xy = tf.stack([r * tf.cos(angle), r * tf.sin(angle)], axis=-1)
    if mirror:
        xy = tf.concat([tf.abs(xy[..., :1]), xy[..., 1:]], axis=-1)
    return xy
