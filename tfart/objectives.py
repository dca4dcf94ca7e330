"""Composable objectives: scalars to minimise, built from a backbone's features and the image.

Objectives add and scale like numbers, in the manner of Lucid:

    objective = content(backbone, photo, ["block4_conv2"]) + 1e6 * style(backbone, [painting], layers)
    objective = objective + 10 * total_variation()

Each objective sees a `Context` (the rendered image and the backbone's features of it) and
returns a scalar; a sum keeps its terms apart so that monitors can log each one. Targets
(content features, Gram matrices of the style images) are computed once, when the objective is made.

A target that is compared position by position (the content image) must see the same random
transform as the rendered image, or the loss compares a shifted, scaled, rotated image with an
unmoved one. Such an objective names its image in `references`; when the loop transforms, it
stacks the references under the rendered image, transforms the batch at once (every transform
draws one set of parameters per batch) and hands the references' features to the objective in
`Context.references`.
"""
import dataclasses

import tensorflow as tf

from tfart.errors import UserError


@dataclasses.dataclass
class Context:
    """What an objective sees at one step: the image [B, H, W, 3] in [0, 1] and its features.

    references: {name: features of that reference image, transformed as the image was}, or None
    when nothing was transformed (objectives then use the targets they computed once).
    """
    image: tf.Tensor
    features: dict
    references: dict = None


class Objective:
    """A named scalar function of a Context; `+`, `-` and scalar `*` build new objectives."""

    def __init__(self, fn, name, layers=(), references=None):
        self.fn, self.name, self.layers = fn, name, tuple(layers)
        self.references = dict(references or {})  # {name: [1, H, W, 3] image seen like the canvas}

    def terms(self, ctx):
        """{term name: weighted scalar}; their sum is the objective."""
        return {self.name: self.fn(ctx)}

    def __call__(self, ctx):
        return tf.add_n(list(self.terms(ctx).values()))

    def __add__(self, other):
        return Sum([self, other])

    def __radd__(self, other):
        return self if other == 0 else Sum([other, self])  # so sum([...]) works

    def __mul__(self, weight):
        return Scaled(self, weight)

    __rmul__ = __mul__

    def __neg__(self):
        return Scaled(self, -1.0)

    def __sub__(self, other):
        return self + (-other)


class Scaled(Objective):
    def __init__(self, inner, weight):
        weight = float(weight)
        if weight != weight:  # NaN
            raise UserError(f"objective {inner.name}: weight is NaN")
        super().__init__(None, inner.name, inner.layers, inner.references)
        self.inner, self.weight = inner, weight

    def terms(self, ctx):
        return {k: self.weight * v for k, v in self.inner.terms(ctx).items()}


class Sum(Objective):
    def __init__(self, parts):
        flat = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, Sum) else [p])
        layers = tuple(dict.fromkeys(layer for p in flat for layer in p.layers))
        references = {k: v for p in flat for k, v in p.references.items()}
        super().__init__(None, "+".join(p.name for p in flat), layers, references)
        self.parts = flat

    def terms(self, ctx):
        out = {}
        for part in self.parts:
            for name, value in part.terms(ctx).items():
                out[name] = out[name] + value if name in out else value
        return out


# --- the building blocks ----------------------------------------------------------------------
def gram(features):
    """Gram matrix normalised by the layer's size: [B, h, w, c] -> [B, c, c], F^T F / (c h w)."""
    shape = tf.shape(features)
    size = tf.cast(shape[1] * shape[2] * shape[3], tf.float32)
    return tf.einsum("bhwc,bhwd->bcd", features, features) / size


def reconstruction(target):
    """Pixel mean squared error to a target image [1, H, W, 3] in [0, 1]."""
    target = tf.constant(target, tf.float32)
    return Objective(lambda ctx: tf.reduce_mean(tf.square(ctx.image - target)), "reconstruction")


def _check_layers(layers, flag):
    if not layers:
        raise UserError(f"{flag}: give at least one layer")


def content(backbone, image, layers, name="content"):
    """Feature mean squared error to `image` ([1, H, W, 3] in [0, 1]) at each layer, averaged.

    The image is a reference: under random transforms it is transformed with the canvas, so it
    must be the canvas's size.
    """
    _check_layers(layers, "--content_layers")
    image = tf.constant(image, tf.float32)
    targets = {k: tf.constant(v) for k, v in backbone(image).items() if k in layers}

    def fn(ctx):
        seen = ctx.references[name] if ctx.references else targets
        return tf.add_n([tf.reduce_mean(tf.square(ctx.features[layer] - seen[layer]))
                         for layer in layers]) / len(layers)
    return Objective(fn, name, layers, references={name: image})


def style(backbone, images, layers, blend=None, layer_weights=None, name="style"):
    """Gram-matrix mean squared error to one or more style images, blended, summed over layers.

    images: list of [1, H, W, 3] in [0, 1] (sizes may differ); blend: their weights (equal by
    default, normalised to sum 1); layer_weights: per layer (1/len(layers) each by default).
    """
    _check_layers(layers, "--style_layers")
    blend = [1.0] * len(images) if blend is None else [float(b) for b in blend]
    if len(blend) != len(images):
        raise UserError(f"--style_blend: {len(blend)} weights for {len(images)} style images")
    if any(b < 0 or b != b for b in blend) or sum(blend) <= 0:
        raise UserError("--style_blend: weights must be non-negative numbers with a positive sum")
    if layer_weights is None:
        layer_weights = [1.0 / len(layers)] * len(layers)
    if len(layer_weights) != len(layers):
        raise UserError(f"--style_layer_weights: {len(layer_weights)} weights for {len(layers)} style layers")
    targets = {layer: 0.0 for layer in layers}
    for image, b in zip(images, blend):
        feats = backbone(tf.constant(image, tf.float32))
        for layer in layers:
            targets[layer] += (b / sum(blend)) * gram(feats[layer])
    targets = {k: tf.constant(v) for k, v in targets.items()}

    def fn(ctx):
        return tf.add_n([w * tf.reduce_mean(tf.square(gram(ctx.features[layer]) - targets[layer]))
                         for layer, w in zip(layers, layer_weights)])
    return Objective(fn, name, layers)


def total_variation(name="tv"):
    """Mean squared difference of neighbouring pixels: small for smooth images."""
    def fn(ctx):
        image = ctx.image
        dy = image[:, 1:] - image[:, :-1]
        dx = image[:, :, 1:] - image[:, :, :-1]
        return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))
    return Objective(fn, name)
