"""Composable objectives: scalars to minimise, built from a backbone's features and the image.

Objectives add and scale like numbers, in the manner of Lucid:

    objective = content(backbone, photo, ["block4_conv2"]) + 1e6 * style(backbone, [painting], layers)
    objective = objective + 10 * total_variation()
    objective = channel("block4_conv2", 12) + 0.5 * diversity("block4_conv2")
    objective = parse("0.5*block4_conv2:12 - block4_conv2:7")   # the --objective grammar
    parse(objective.text())                                          # the same objective again

The loop minimises. An objective that excites units (channel, neuron, layer, direction, class)
is the negative of what it excites, so "maximise channel 12" is `channel(layer, 12)` and
`a - b` excites a and suppresses b, exactly as the grammar reads.

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
import math
import re

import tensorflow as tf

from tfart.backbones import LOGITS  # the features key of a classification top
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

    def __init__(self, fn, name, layers=(), references=None, units=()):
        self.fn, self.name, self.layers = fn, name, tuple(layers)
        self.references = dict(references or {})  # {name: [1, H, W, 3] image seen like the canvas}
        self.units = tuple(units)  # (layer, channel) pairs, checked against a backbone by check()

    def text(self):
        """The objective in the --objective grammar, e.g. '2*(mixed4:97 - 0.5*dream:mixed3)'.

        parse(o.text()) is o again (the same text, the same value to the bit) for every objective
        built from channel, neuron, layer, class_logit and class_probability over the whole batch
        by +, -, scalar * and parentheses. Any other objective (content, style, total_variation,
        reconstruction, direction, diversity, a unit of one batch member, a function of your own)
        has no text form: it is written by its name, for logs and recipes, and parse refuses it.
        """
        return self.name

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
    """weight * inner, term by term; the weight is a finite float (text() could not write others)."""

    def __init__(self, inner, weight):
        weight = float(weight)
        if not math.isfinite(weight):
            raise UserError(f"objective {inner.name}: weight is {'NaN' if weight != weight else 'infinite'}")
        super().__init__(None, inner.name, inner.layers, inner.references, inner.units)
        self.inner, self.weight = inner, weight

    def terms(self, ctx):
        return {k: self.weight * v for k, v in self.inner.terms(ctx).items()}

    def text(self):
        if self.weight == 1:
            return self.inner.text()
        return ("-" if _negative(self) else "") + self.unsigned_text()

    def unsigned_text(self):
        """The text of |weight| * inner: a nested scaling reads '0.5*2*x', a sum '2*(x + y)'."""
        inner = _operand(self.inner)
        return inner if abs(self.weight) == 1 else f"{_number(self.weight)}*{inner}"


class Sum(Objective):
    def __init__(self, parts):
        flat = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, Sum) else [p])
        layers = tuple(dict.fromkeys(layer for p in flat for layer in p.layers))
        references = {k: v for p in flat for k, v in p.references.items()}
        units = tuple(dict.fromkeys(u for p in flat for u in p.units))
        super().__init__(None, "+".join(p.name for p in flat), layers, references, units)
        self.parts = flat

    def text(self):
        first, *rest = _terms(self)
        out = first.text() if isinstance(first, Scaled) else _operand(first)
        for part in rest:
            if _negative(part):
                out += " - " + part.unsigned_text()
            else:
                out += " + " + (part.text() if isinstance(part, Scaled) else _operand(part))
        return out

    def terms(self, ctx):
        out = {}
        for part in self.parts:
            for name, value in part.terms(ctx).items():
                out[name] = out[name] + value if name in out else value
        return out


def _terms(objective):
    """The terms text() writes for a sum: nested sums flattened and scalings by 1 dropped, both
    exact (Sum.terms adds in the same order, and 1 * x is x)."""
    while isinstance(objective, Scaled) and objective.weight == 1:
        objective = objective.inner
    if isinstance(objective, Sum):
        return [term for part in objective.parts for term in _terms(part)]
    return [objective]


def _negative(objective):
    """Whether text() writes the objective with a leading minus (a weight of -0.0 too)."""
    return isinstance(objective, Scaled) and math.copysign(1.0, objective.weight) < 0


def _operand(objective):
    """The objective's text, in parentheses where a weight or a minus before it would bind to less
    than all of it: a sum, a negative scaling, a name that is not one word."""
    terms, text = _terms(objective), objective.text()
    if len(terms) > 1 or _negative(terms[0]) or not (isinstance(terms[0], Scaled) or _WORD.fullmatch(text)):
        return f"({text})"
    return text


def _number(weight):
    """|weight| as the shortest text that reads back as the same float: '2', '0.5', '1e-07'."""
    weight = abs(weight)
    return str(int(weight)) if weight.is_integer() and weight < 1e16 else repr(weight)


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


# --- feature visualization: what excites units of a network -----------------------------------
def _pick(features, batch):
    """All batch members, or member `batch` alone (as a batch of one)."""
    return features if batch is None else features[batch:batch + 1]


def _unit(fn, name, layer, index=None, batch=None):
    units = [(layer, int(index))] if index is not None else []
    text = name if batch is None else f"{name}@{batch}"
    return Objective(lambda ctx: -fn(_pick(ctx.features[layer], batch)), text, [layer], units=units)


def channel(layer, index, batch=None):
    """Excite channel `index` of `layer`: minus its mean activation (over batch member `batch`,
    or every member). Named 'layer:index'."""
    return _unit(lambda f: tf.reduce_mean(f[..., index]), f"{layer}:{index}", layer, index, batch)


def neuron(layer, index, batch=None):
    """Excite the centre unit of channel `index`: minus its activation at (h // 2, w // 2)."""
    def fn(f):
        shape = tf.shape(f)
        return tf.reduce_mean(f[:, shape[1] // 2, shape[2] // 2, index])
    return _unit(fn, f"neuron:{layer}:{index}", layer, index, batch)


def layer(name, batch=None):
    """DeepDream: excite a whole layer, minus the mean squared activation."""
    return _unit(lambda f: tf.reduce_mean(tf.square(f)), f"dream:{name}", name, None, batch)


def direction(layer, vector, batch=None, name=None):
    """Excite a direction in channel space: minus the mean over positions of <features, vector>."""
    vector = tf.constant(vector, tf.float32)
    return _unit(lambda f: tf.reduce_mean(tf.tensordot(f, vector, axes=1)),
                 name or f"direction:{layer}", layer, None, batch)


def class_logit(index, batch=None):
    """Excite class `index` of a backbone with its classification top: minus the logit."""
    return _unit(lambda f: tf.reduce_mean(f[:, index]), f"class:{index}", LOGITS, index, batch)


def class_probability(index, batch=None):
    """Minus the softmax probability of class `index` (a logit can grow by lowering the others too)."""
    return _unit(lambda f: tf.reduce_mean(tf.nn.softmax(f)[:, index]), f"probability:{index}", LOGITS,
                 index, batch)


def diversity(layer):
    """Lucid's diversity penalty over a batch: the mean cosine similarity of the members' Gram
    matrices at `layer`, over every pair. Adding it makes the batch's images differ in style."""
    def fn(ctx):
        grams = gram(ctx.features[layer])
        grams = tf.reshape(grams, [tf.shape(grams)[0], -1])
        grams = tf.math.l2_normalize(grams, axis=1, epsilon=1e-10)
        similarity = tf.matmul(grams, grams, transpose_b=True)  # [B, B], ones on the diagonal
        count = tf.cast(tf.shape(grams)[0], tf.float32)
        return (tf.reduce_sum(similarity) - tf.linalg.trace(similarity)) / tf.maximum(count * (count - 1), 1.0)
    return Objective(fn, f"diversity:{layer}", [layer])


def member(objective, index):
    """`objective` of batch member `index` alone: it sees that image and its features as a batch of one."""
    def fn(ctx):
        return objective(Context(ctx.image[index:index + 1], {k: v[index:index + 1] for k, v in ctx.features.items()},
                                 ctx.references))
    return Objective(fn, f"{objective.name}@{index}", objective.layers, objective.references, objective.units)


def interpolation(start, end, frames):
    """Lucid's channel_interpolate for any two objectives: batch member i of `frames` minimises
    (1 - t) * start + t * end with t = i / (frames - 1), so the batch morphs from one to the other.
    One term, named 'START..END'."""
    parts = [(1 - t) * member(start, i) + t * member(end, i)
             for i, t in enumerate(tf.linspace(0.0, 1.0, frames).numpy().tolist())]
    whole = sum(parts, 0)
    return Objective(whole, f"{start.name}..{end.name}", whole.layers, whole.references, whole.units)


def alignment(layer, decay=2.0, reach=4):
    """Lucid's alignment penalty over a batch in order: the mean squared difference of `layer`'s
    features between members d = 1..reach apart, divided by decay**d, summed. Adding it keeps
    neighbouring frames of an interpolation laid out alike."""
    def fn(ctx):
        features = ctx.features[layer]
        distances = range(1, min(reach, features.shape[0] - 1) + 1)  # the batch size is known when traced
        return tf.add_n([tf.zeros([])] + [tf.reduce_mean(tf.square(features[d:] - features[:-d])) / decay ** d
                                          for d in distances])
    return Objective(fn, f"alignment:{layer}", [layer])


def caricature(backbone, image, layer, power=1.0, name="caricature"):
    """Lucid's feature inversion: draw the network's view of a photograph ([1, H, W, 3] in [0, 1],
    the canvas's size). Minus the dot product of the image's features at `layer` with the
    photograph's, divided by the photograph's norm and times their cosine similarity ** power:
    the cosine similarity rises, and with it whatever the layer sees most strongly.
    The photograph is a reference, transformed with the canvas."""
    image = tf.constant(image, tf.float32)
    target = tf.constant(backbone(image)[layer])

    def fn(ctx):
        seen = ctx.references[name][layer] if ctx.references else target
        seen = tf.reshape(seen, [tf.shape(seen)[0], -1])
        features = tf.reshape(ctx.features[layer], [tf.shape(ctx.features[layer])[0], -1])
        dot = tf.reduce_sum(features * seen, axis=1)
        seen_norm = tf.norm(seen, axis=1) + 1e-6
        cosine = dot / (seen_norm * (tf.norm(features, axis=1) + 1e-6))
        return -tf.reduce_mean(dot / seen_norm * tf.maximum(cosine, 1e-6) ** power)
    return Objective(fn, name, [layer], references={name: image})


def cosine_similarity(backbone, image, photo, layer):
    """The cosine similarity of two images' features at `layer` (each [1, H, W, 3], one size)."""
    a, b = (tf.reshape(backbone(tf.constant(x, tf.float32))[layer], [-1]) for x in (image, photo))
    return float(tf.reduce_sum(a * b) / (tf.norm(a) * tf.norm(b) + 1e-12))


def check(objective, backbone, flag="--objective"):
    """Raise a UserError unless every (layer, channel) the objective names exists in `backbone`."""
    for layer_name, index in objective.units:
        count = backbone.channels(layer_name)
        if not 0 <= index < count:
            what = "classes" if layer_name == LOGITS else "channels"
            raise UserError(f"{flag}: {layer_name} has {count} {what} (0..{count - 1}), got {index}")


# --- the --objective grammar ----------------------------------------------------------------------
GRAMMAR = "LAYER:CHANNEL, neuron:LAYER:CHANNEL, dream:LAYER, class:INDEX or probability:INDEX"
_NUMBER = re.compile(r"\s*(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)\s*\*")  # 'W*'
_WORD = re.compile(r"[^\s()+*-]+")
_SIGN = re.compile(r"\s*([+-]?)\s*")
_SPACE = re.compile(r"\s*")
_UNIT = re.compile(r"(class|probability):(\d+)$|(dream):([A-Za-z_]\w*)$|(?:(neuron):)?([A-Za-z_]\w*):(\d+)$")


def parse(text, flag="--objective"):
    """An objective from its text: terms like 'mixed4:97', 'neuron:mixed4:97', 'dream:mixed3',
    'class:404', 'probability:404' or '(a sum)', each with optional 'W*' weights, joined by + and -.

    '0.5*block4_conv2:12 - block4_conv2:7' excites channel 12 at half weight and suppresses 7;
    '-2*(a - b)' and '0.5*2*a' scale as they read. Objective.text() writes this grammar.
    A part that does not read raises a UserError quoting it.
    """
    if not text or not text.strip():
        raise UserError(f"{flag}: empty objective; write {GRAMMAR}, e.g. 'block4_conv2:12'")
    objective, position = _parse_sum(text, 0, flag)
    if position < len(text):  # a sum stops early only at a ')'
        _cannot_read(text, position, flag, "this ')' has no '('")
    return objective


def _parse_sum(text, position, flag):
    """Terms joined by + and -, up to the end of the text or a ')': (objective, position there)."""
    terms = []
    while True:
        start, sign = position, _SIGN.match(text, position)
        if not sign.group(1) and terms:
            _cannot_read(text, start, flag)
        term, position = _parse_term(text, sign.end(), sign.group(1) == "-", start, flag)
        terms.append(term)
        position = _SPACE.match(text, position).end()
        if position == len(text) or text[position] == ")":
            return (Sum(terms) if len(terms) > 1 else terms[0]), position


def _parse_term(text, position, negative, start, flag):
    """'W*W*UNIT' or 'W*(SUM)', weights outermost first, the first negated after a '-' (a '-'
    alone is a weight of -1): (objective, position after it)."""
    weights = []
    while match := _NUMBER.match(text, position):
        weights.append(float(match.group(1)))
        if not math.isfinite(weights[-1]):
            raise UserError(f"{flag}: weight {match.group(1)!r} in {text!r} is too large for a float")
        position = match.end()
    position = _SPACE.match(text, position).end()
    if text.startswith("(", position):
        objective, end = _parse_sum(text, position + 1, flag)
        if not text.startswith(")", end):
            _cannot_read(text, position, flag, "expected ')' to close this '('")
        position = end + 1
    else:
        word = _WORD.match(text, position)
        if not word:
            _cannot_read(text, start, flag)
        objective, position = _parse_unit(word.group(), text, flag), word.end()
    if negative:
        weights = [-weights[0], *weights[1:]] if weights else [-1.0]
    for weight in reversed(weights):
        objective = Scaled(objective, weight)
    return objective, position


def _cannot_read(text, position, flag, what=f"expected + or - between terms, each {GRAMMAR}"):
    raise UserError(f"{flag}: cannot read {text[position:].strip()!r} at column {position + 1} of {text!r}; {what}")


def _parse_unit(unit, text, flag):
    match = _UNIT.match(unit)
    if not match:
        raise UserError(f"{flag}: cannot read {unit!r} in {text!r}; expected {GRAMMAR}")
    kind, class_index, dream, dream_layer, neuron_, layer_name, index = match.groups()
    if dream:
        return layer(dream_layer)
    if kind:
        return (class_logit if kind == "class" else class_probability)(int(class_index))
    return (neuron if neuron_ else channel)(layer_name, int(index))
