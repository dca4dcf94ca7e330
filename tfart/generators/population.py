"""Many CPPNs of one family rendered in one TensorFlow call: the studio's generations.

Bred networks differ in their weights, their activations, and, once they have grown, in depth and
width, so they cannot share one Keras model. Here a network is a dict of NumPy arrays,

    {"z": [L], "kernel_0": [F, h], "bias_0": [h], ..., "kernel_{d-1}": [h, h], "bias_{d-1}": [h],
     "head_kernel": [h, C], "head_bias": [C]}

plus its list of d activation names. `pad` grows a network to a larger depth and width without
changing its picture (zero weights into and out of new units, identity layers with the 'linear'
activation), so a population is stacked into [P, ...] tensors and rendered by one traced function,
whatever its members' shapes. The encoding of coordinates and the colour head's maths are the
template generator's own (CPPN._encode, CPPN._from_head), so a member renders exactly as the CPPN
or Fourier-CPPN that `load` puts its arrays into.
"""
import numpy as np
import tensorflow as tf

from tfart import coords
from tfart.errors import UserError

# Activations a population can mix per layer ('composite' doubles a layer's width, so it is out).
ACTIVATIONS = ("linear", "tanh", "sin", "gaussian", "softplus", "relu")
# Encoders whose inputs depend only on the coordinates and z (no per-network first layer).
ENCODERS = ("ha", "lucid", "periodic")


def depth_of(arrays):
    return sum(1 for k in arrays if k.startswith("kernel_"))


def arrays_of(cppn):
    """A CPPN's (or Fourier-CPPN's) weights as a network dict of float32 arrays (its first z)."""
    arrays = {"z": np.asarray(cppn.z.numpy()[0], np.float32)}
    for i, layer in enumerate(cppn.body):
        arrays[f"kernel_{i}"], arrays[f"bias_{i}"] = (np.asarray(w, np.float32) for w in layer.get_weights())
    arrays["head_kernel"], arrays["head_bias"] = (np.asarray(w, np.float32) for w in cppn.head.get_weights())
    return arrays


def load(cppn, arrays):
    """Put a network dict into a CPPN built with the same depth, hidden width and latent size."""
    cppn.z.assign(np.broadcast_to(arrays["z"], cppn.z.shape))
    for i, layer in enumerate(cppn.body):
        layer.set_weights([arrays[f"kernel_{i}"], arrays[f"bias_{i}"]])
    cppn.head.set_weights([arrays["head_kernel"], arrays["head_bias"]])
    return cppn


def pad(arrays, activations, depth, hidden):
    """The same picture from a network of `depth` layers of `hidden` units: (arrays, activations).

    New units get zero weights in and out; new layers (after the last) are identities."""
    own_depth, own_hidden = depth_of(arrays), arrays["bias_0"].shape[0]
    if depth < own_depth or hidden < own_hidden:
        raise ValueError(f"cannot shrink a network of {own_depth} x {own_hidden} to {depth} x {hidden}")
    grow = hidden - own_hidden
    out = {"z": arrays["z"], "head_bias": arrays["head_bias"]}
    for i in range(own_depth):
        kernel = arrays[f"kernel_{i}"]
        rows = 0 if i == 0 else grow
        out[f"kernel_{i}"] = np.pad(kernel, [(0, rows), (0, grow)])
        out[f"bias_{i}"] = np.pad(arrays[f"bias_{i}"], [(0, grow)])
    for i in range(own_depth, depth):
        out[f"kernel_{i}"] = np.eye(hidden, dtype=np.float32)
        out[f"bias_{i}"] = np.zeros(hidden, np.float32)
    out["head_kernel"] = np.pad(arrays["head_kernel"], [(0, grow), (0, 0)])
    return out, list(activations) + ["linear"] * (depth - own_depth)


def _activate(x, onehot):
    """x [P, h, w, H] through each member's activation; onehot [P, A] picks it from ACTIVATIONS."""
    from tfart.generators.cppn import ACTIVATIONS as FUNCTIONS
    out = tf.zeros_like(x)
    for a, name in enumerate(ACTIVATIONS):
        pick = onehot[:, a][:, None, None, None]
        # Computed only when some member uses it: most layers of a generation share one.
        out += tf.cond(tf.reduce_any(pick > 0), lambda f=FUNCTIONS[name]: tf.where(pick > 0, f(x), 0.0),
                       lambda: tf.zeros_like(x))
    return out


class Population:
    """Renders networks of one template's family (same encoder, latent size, head) in one call.

    template: a CPPN or Fourier-CPPN whose configuration, apart from depth, width and activations,
    every member shares.
    """

    def __init__(self, template):
        if template.encoder not in ENCODERS:
            raise UserError(f"a population needs an encoder among {', '.join(ENCODERS)}, "
                            f"got {template.encoder!r}")
        self.template = template
        spec = tf.TensorSpec
        self._render = tf.function(self._render_stack, input_signature=[
            spec([], tf.int32), spec([], tf.int32), spec([None, None], tf.float32),
            spec([None, None, None], tf.float32), spec([None, None, None, None], tf.float32),
            spec([None, None, None], tf.float32), spec([None, None, len(ACTIVATIONS)], tf.float32),
            spec([None, None, None], tf.float32), spec([None, None], tf.float32)])

    def _render_stack(self, height, width, z, first, rest, biases, onehot, head, head_bias):
        xy = coords.grid(height, width, 0, 0, height, width)
        net = self.template._encode(xy, coords.half_extent(height, width), z)    # [P, h, w, F]
        net = _activate(tf.einsum("phwf,pfk->phwk", net, first) + biases[:, 0, None, None], onehot[:, 0])
        for i in tf.range(tf.shape(rest)[1]):
            net = tf.einsum("phwj,pjk->phwk", net, rest[:, i]) + biases[:, i + 1, None, None]
            net = _activate(net, onehot[:, i + 1])
        out = tf.einsum("phwj,pjc->phwc", net, head) + head_bias[:, None, None]
        return self.template._from_head(out, xy)

    def render(self, members, height, width):
        """members: [(arrays, activations)] -> [P, height, width, 3] float32 in [0, 1]."""
        if not members:
            return np.zeros((0, height, width, 3), np.float32)
        depth = max(depth_of(a) for a, _ in members)
        hidden = max(a["bias_0"].shape[0] for a, _ in members)
        padded = [pad(a, acts, depth, hidden) for a, acts in members]
        for _, acts in padded:
            unknown = set(acts) - set(ACTIVATIONS)
            if unknown:
                raise UserError(f"a population cannot mix the {', '.join(sorted(unknown))} activation")
        stack = lambda key: np.stack([a[key] for a, _ in padded])  # noqa: E731
        kernels = [np.stack([a[f"kernel_{i}"] for a, _ in padded]) for i in range(1, depth)]
        rest = np.stack(kernels, 1) if kernels else np.zeros((len(padded), 0, hidden, hidden), np.float32)
        biases = np.stack([stack(f"bias_{i}") for i in range(depth)], 1)
        onehot = np.zeros((len(padded), depth, len(ACTIVATIONS)), np.float32)
        for p, (_, acts) in enumerate(padded):
            for i, name in enumerate(acts):
                onehot[p, i, ACTIVATIONS.index(name)] = 1.0
        return self._render(tf.constant(height), tf.constant(width), stack("z").reshape(len(padded), self.template.latent_dim),
                            stack("kernel_0"), rest, biases, onehot, stack("head_kernel"),
                            stack("head_bias")).numpy()


class StrokePopulation:
    """Renders stroke drawings (tfart.generators.Strokes weights) in one call: each member is
    ({"points", "colours", "widths", "opacities", "background"}: the Strokes' weights as arrays,
    {"low", "high", "curves"}: its style's width bounds and whether it curves), all with as many
    strokes. They are painted one after another inside the call (tf.map_fn), so memory stays
    that of one drawing."""

    def __init__(self):
        spec = tf.TensorSpec
        self._render = tf.function(self._render_stack, input_signature=[
            spec([], tf.int32), spec([], tf.int32), spec([None, None, 3, 2], tf.float32),
            spec([None, None, 3], tf.float32), spec([None, None], tf.float32), spec([None, None], tf.float32),
            spec([None, 3], tf.float32), spec([None, 3], tf.float32)])

    def _render_stack(self, height, width, points, colours, widths, opacities, background, style):
        from tfart.generators import strokes
        xy = coords.grid(height, width, 0, 0, height, width)
        pitch = coords.pitch(height, width)

        def one(member):
            p, c, w, o, b, s = member  # s: low, high, curves
            return strokes.paint(xy, pitch, strokes.control_points(p, s[2] > 0), tf.sigmoid(c),
                                 strokes.widths(w, s[0], s[1]), tf.sigmoid(o), tf.sigmoid(b))
        return tf.map_fn(one, (points, colours, widths, opacities, background, style),
                         fn_output_signature=tf.float32)

    def render(self, members, height, width):
        """members: [(arrays, style)] -> [P, height, width, 3] float32 in [0, 1]."""
        count = max(len(a["points"]) for a, _ in members)
        members = [(pad_strokes(a, count), s) for a, s in members]
        stack = lambda key: np.stack([a[key] for a, _ in members]).astype(np.float32)  # noqa: E731
        style = np.array([[s["low"], s["high"], float(s["curves"])] for _, s in members], np.float32)
        return self._render(tf.constant(height), tf.constant(width), stack("points"), stack("colours"),
                            stack("widths"), stack("opacities"), stack("background"), style).numpy()


# An opacity logit whose stroke adds nothing: 1 - sigmoid(-40) is 1 in float32.
INVISIBLE = -40.0


def pad_strokes(arrays, count):
    """The same drawing with `count` strokes: invisible ones added at the end."""
    extra = count - len(arrays["points"])
    if extra <= 0:
        return arrays
    grow = lambda key, fill=0.0: np.concatenate(  # noqa: E731
        [arrays[key], np.full((extra,) + arrays[key].shape[1:], fill, np.float32)])
    return {**arrays, "points": grow("points"), "colours": grow("colours"), "widths": grow("widths"),
            "opacities": grow("opacities", INVISIBLE)}
