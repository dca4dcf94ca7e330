"""A differentiable stroke renderer: N quadratic Bezier strokes over a background colour.

Each stroke has three control points (a straight line when the middle one sits halfway), a
colour, a width and an opacity. A pixel's coverage by a stroke is a box filter of its distance to
the curve, soft over about one pixel of the render, so every parameter gets a gradient from the
pixels along the stroke's edges (the approach of differentiable vector renderers such as DiffVG).
Strokes are composited in order, each over the ones before it ("over" alpha blending).

Control points live in the plane of tfart.coords (the canvas's shorter side spans [-1, 1]), so the
same parameters render at any size, and `to_svg` writes them as real vector paths.
"""
import math

import keras
import numpy as np
import tensorflow as tf

from tfart.errors import UserError
from tfart.generators.base import Generator

# Segments each curve is cut into for the distance: the chord of a segment of a quadratic
# Bezier departs from the curve by at most 1/(8 S^2) of the control polygon's bend, under
# 1/500 of it at S = 8.
SEGMENTS = 8
# Looks: (background RGB, stroke colours drawn from, width range in plane units, opacity).
STYLES = {
    "ink": dict(background=(0.96, 0.94, 0.88), palette=((0.05, 0.05, 0.08),), width=(0.01, 0.03), opacity=0.9),
    "marker": dict(background=(1.0, 1.0, 1.0), palette=None, width=(0.04, 0.09), opacity=0.7),
    # A broad black pen on white: letters as fonts draw them (a stroke 1 to 2.5 px wide at 32 px).
    # Its strokes start inside the central box where glyphs lie, and longer (`start`: the box's
    # half-side, the spread of a stroke's length): on the glyph judge, 6 pen strokes started
    # anywhere on the page with short strokes reached p 0.9 by gradient descent in 7 of 30 runs
    # (targets A, E, K, R, S, seeds 0-5), started so in 20 of 30 (10 of 15 on seeds 3-5, chosen
    # after the box was).
    "pen": dict(background=(1.0, 1.0, 1.0), palette=((0.0, 0.0, 0.0),), width=(0.06, 0.16), opacity=1.0,
                start=(0.6, 0.6)),
}
# Where strokes start when the style does not say: anywhere on the page, short.
START = (0.9, 0.25)


def starting_points(rng, strokes, extent, length, clip, curves=True):
    """Random control points [strokes, 3, 2] of strokes started in the box [-extent, extent]^2,
    their ends `length` (a normal spread) away, clipped to the box when `clip`, curves bent a
    little (a style's `start`, or START; drawn first from a Strokes' random generator)."""
    start = rng.uniform(-extent, extent, (strokes, 2))
    end = start + rng.normal(0, length, (strokes, 2))
    if clip:
        end = np.clip(end, -extent, extent)
    bend = rng.normal(0, 0.05 if curves else 0.0, (strokes, 2))
    return np.stack([start, (start + end) / 2 + bend, end], axis=1).astype(np.float32)


def _logit(p):
    p = np.clip(np.asarray(p, np.float32), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def curve_points(points, segments=SEGMENTS):
    """Points along each quadratic Bezier: [N, 3, 2] control points -> [N, segments + 1, 2]."""
    t = tf.linspace(0.0, 1.0, segments + 1)[None, :, None]
    p0, p1, p2 = points[:, 0:1], points[:, 1:2], points[:, 2:3]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2


def distances(xy, polylines):
    """Distance of every point to every polyline: xy [h, w, 2], polylines [N, K + 1, 2] -> [h, w, N].

    x and y are kept apart: the same sums over a last axis of 2 took 5.5x as long (16 drawings
    of 24 strokes at 128 px: 1.17 s against 0.21 s), TensorFlow reducing such short axes slowly.
    """
    a, b = polylines[:, :-1], polylines[:, 1:]                         # [N, K, 2]
    abx, aby = b[..., 0] - a[..., 0], b[..., 1] - a[..., 1]            # [N, K]
    apx = xy[:, :, 0, None, None] - a[..., 0]                          # [h, w, N, K]
    apy = xy[:, :, 1, None, None] - a[..., 1]
    t = tf.clip_by_value((apx * abx + apy * aby) / tf.maximum(abx * abx + aby * aby, 1e-12), 0.0, 1.0)
    dx, dy = apx - t * abx, apy - t * aby                               # to the nearest point of each segment
    return tf.sqrt(tf.reduce_min(dx * dx + dy * dy, -1) + 1e-12)


def control_points(points, curves=True):
    """The control points [N, 3, 2] a stroke draws with: its own, or with the middle one halfway
    between the ends when `curves` is False (a bool, or a boolean tensor)."""
    points = tf.convert_to_tensor(points, tf.float32)
    straight = tf.stack([points[:, 0], (points[:, 0] + points[:, 2]) / 2, points[:, 2]], axis=1)
    return tf.where(curves, points, straight)


def widths(logits, low, high):
    """Stroke widths in plane units from their logits, between a style's bounds."""
    return low + (high - low) * tf.sigmoid(logits)


def paint(xy, pitch, points, colours, widths, opacities, background):
    """Strokes composited in order over a background at plane coordinates xy [h, w, 2]: [h, w, 3].

    points [N, 3, 2] control points, colours [N, 3] in [0, 1], widths [N] in plane units,
    opacities [N] in [0, 1], background [3]; pitch: the distance between neighbouring pixel
    centres of the canvas, in plane units.

    A pixel's coverage by a stroke is a box filter of the stroke's cross-section,
    sigmoid(4 (d + w/2) / p) - sigmoid(4 (d - w/2) / p) for a pixel at distance d of a stroke of
    width w: its integral across the stroke is exactly w, so a hairline carries a hairline's ink
    (the SVG's), and a wide stroke's edge goes from 0.12 to 0.88 over half a pixel either side of
    it, like an antialiased line.
    """
    d = distances(xy, curve_points(points))
    half = widths / 2
    alpha = (tf.sigmoid((d + half) / pitch * 4.0) - tf.sigmoid((d - half) / pitch * 4.0)) * opacities  # [h, w, N]
    # Stroke i shows through every later stroke j as (1 - alpha_j): composite "over", in order.
    through = tf.math.cumprod(1.0 - alpha, axis=-1, exclusive=True, reverse=True)
    strokes = tf.einsum("hwn,nc->hwc", alpha * through, colours)
    return strokes + tf.reduce_prod(1.0 - alpha, axis=-1, keepdims=True) * background


@keras.saving.register_keras_serializable(package="tfart")
class Strokes(Generator):
    """N strokes composited over a background: [1, H, W, 3] float32 in [0, 1], at any size.

    strokes: how many. style: 'ink' (dark ink on paper) or 'marker' (coloured, wide, translucent).
    curves: quadratic Bezier curves (True) or straight segments (False: the middle control point
      is kept halfway). The weights are the control points, colour logits, width and opacity
      logits and the background logits.
    """

    def __init__(self, strokes=32, style="ink", curves=True, seed=0, name=None, **kwargs):
        super().__init__(name=name or "strokes", **kwargs)
        if int(strokes) < 1:
            raise UserError(f"--strokes: must be at least 1, got {strokes}")
        if style not in STYLES:
            raise UserError(f"--style: choose from {', '.join(STYLES)}, got {style!r}")
        self.strokes, self.style, self.curves, self.seed = int(strokes), style, bool(curves), int(seed)
        look, rng = STYLES[style], np.random.default_rng(seed)
        points = starting_points(rng, self.strokes, *look.get("start", START), clip="start" in look,
                                 curves=self.curves)
        palette = np.asarray(look["palette"] or rng.uniform(0, 1, (self.strokes, 3)), np.float32)
        colours = palette[rng.integers(0, len(palette), self.strokes)]
        low, high = look["width"]
        self.low, self.high = float(low), float(high)
        add = self.add_weight
        self.points = add(shape=points.shape, name="points", initializer=keras.initializers.Constant(points))
        self.colour_logits = add(shape=(self.strokes, 3), name="colours",
                                 initializer=keras.initializers.Constant(_logit(colours)))
        self.width_logits = add(shape=(self.strokes,), name="widths",
                                initializer=keras.initializers.Constant(_logit(rng.uniform(0.3, 0.7, self.strokes))))
        self.opacity_logits = add(shape=(self.strokes,), name="opacities",
                                  initializer=keras.initializers.Constant(_logit(np.full(self.strokes, look["opacity"]))))
        self.background_logits = add(shape=(3,), name="background",
                                     initializer=keras.initializers.Constant(_logit(look["background"])))
        self.built = True

    @property
    def default_tile(self):
        """Tile side that keeps the [h, w, N, K] distance tensors near 32 MB each (128 px at N = 64)."""
        return max(16, int(math.sqrt(2 ** 24 / (self.strokes * SEGMENTS * 2))))

    # --- the parameters as a user sees them ----------------------------------------------------
    def control_points(self):
        """[N, 3, 2] in plane units; a straight stroke's middle point is halfway."""
        return control_points(self.points, self.curves)

    def colours(self):
        return tf.sigmoid(self.colour_logits)

    def widths(self):
        """Stroke widths in plane units, between the style's bounds."""
        return widths(self.width_logits, self.low, self.high)

    def opacities(self):
        return tf.sigmoid(self.opacity_logits)

    def background(self):
        return tf.sigmoid(self.background_logits)

    # --- rendering -------------------------------------------------------------------------------
    def _render(self, xy, extent, z, pitch):
        image = paint(xy, pitch, self.control_points(), self.colours(), self.widths(), self.opacities(),
                      self.background())
        batch = tf.shape(z)[0]
        return tf.broadcast_to(image[None], tf.concat([[batch], tf.shape(image)], 0))

    def to_svg(self, height, width):
        """The strokes as an SVG document of `width` x `height` pixels (real vector paths)."""
        points = self.control_points().numpy()
        short = min(height, width)
        to_pixels = lambda p: ((p[0] * short + width) / 2, (p[1] * short + height) / 2)  # noqa: E731
        rgb = lambda c: "rgb({},{},{})".format(*(int(round(255 * float(v))) for v in c))  # noqa: E731
        lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                 f'viewBox="0 0 {width} {height}">',
                 f'<rect width="{width}" height="{height}" fill="{rgb(self.background().numpy())}"/>']
        for p, colour, w, a in zip(points, self.colours().numpy(), self.widths().numpy(), self.opacities().numpy()):
            (x0, y0), (x1, y1), (x2, y2) = (to_pixels(q) for q in p)
            lines.append(f'<path d="M{x0:.3f} {y0:.3f} Q{x1:.3f} {y1:.3f} {x2:.3f} {y2:.3f}" fill="none" '
                         f'stroke="{rgb(colour)}" stroke-width="{w * short / 2:.3f}" '
                         f'stroke-opacity="{a:.4f}" stroke-linecap="round"/>')
        return "\n".join(lines + ["</svg>", ""])

    def get_config(self):
        return {"name": self.name, "strokes": self.strokes, "style": self.style, "curves": self.curves,
                "seed": self.seed}

