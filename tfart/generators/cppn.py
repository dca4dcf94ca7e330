"""Compositional pattern-producing networks (Stanley 2007) in David Ha's lineage, as Keras models.

A CPPN maps every pixel's plane coordinates (and a latent code z shared by all pixels) through a
stack of dense layers to a colour. It has no notion of resolution: the same weights render a
64 px thumbnail or an 8K print, and a non-square canvas is widened, never stretched.
"""
import math

import keras
import numpy as np
import tensorflow as tf

from tfart import coords
from tfart.cppn_defaults import CPPN_DEFAULTS as ART
from tfart.cppn_defaults import INIT_SCALE
from tfart.errors import UserError
from tfart.generators.base import Generator
from tfart.generators.pixel import decorrelated_to_rgb


def _gaussian(x):
    return tf.exp(-tf.square(x))


def _composite(x):
    # Lucid's CPPN activation: roughly unit-variance outputs; doubles the width of the layer.
    a = tf.atan(x)
    return tf.concat([a / 0.67, tf.square(a) / 0.6], axis=-1)


ACTIVATIONS = {
    "tanh": tf.tanh,
    "sin": tf.sin,
    "gaussian": _gaussian,
    "softplus": tf.nn.softplus,
    "relu": tf.nn.relu,
    "composite": _composite,
    # The identity: a layer the studio inserts to grow a network without changing its picture.
    "linear": tf.identity,
}
# Drawn from when activation='mix'; relu is left out because its flat halves give dull pictures.
MIX = ("tanh", "sin", "gaussian", "softplus", "composite")
# Each layer's weights and biases are scaled by init_scale * GAIN[its activation]. tanh saturates,
# so large weights fold the plane into sharp-edged facets (Ha's look); sin and gaussian turn the
# same weights into pixel confetti, and softplus and relu grow without bound from layer to layer.
# Measured on seeds 0-15 (benchmarks/cppn_look.py): with these gains 'mix' stays pictures.
GAIN = {"tanh": 1.0, "sin": 3 / 7, "gaussian": 3 / 7, "composite": 3 / 7, "softplus": 0.2, "relu": 0.2,
        "linear": 1.0}
ENCODERS = ("ha", "lucid", "periodic", "fourier", "siren")
# A normal prior's codes are kept within this many sqrt(latent_dim) of the origin when optimized
# (for 8 dimensions, 98% of prior draws lie within).
PRIOR_RADIUS = 1.5
# The distributions latent codes are drawn from (tfart.latent.random_codes draws the same).
PRIORS = {"uniform": lambda seed: keras.initializers.RandomUniform(-1.0, 1.0, seed=seed),
          "normal": lambda seed: keras.initializers.RandomNormal(stddev=1.0, seed=seed)}


def bandwidths(sigma, features=None):
    """--sigma as a tuple of positive bandwidths: a number, a list, or '1,4,16'."""
    values = sigma.split(",") if isinstance(sigma, str) else sigma if isinstance(sigma, (list, tuple)) else [sigma]
    try:
        sigmas = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise UserError(f"--sigma: expected positive numbers (e.g. 6 or 1,4,16), got {sigma!r}") from None
    if not sigmas or not all(math.isfinite(v) and v > 0 for v in sigmas):
        raise UserError(f"--sigma: bandwidths must be positive numbers, got {sigma!r}")
    if features is not None and features < len(sigmas):
        raise UserError(f"--sigma: {len(sigmas)} bandwidths need at least as many --features, got {features}")
    return sigmas


def resolve_activations(activation, depth, seed=0):
    """'tanh' | 'tanh,sin,...' (cycled over the layers) | 'mix' (seeded random) -> list of names."""
    if isinstance(activation, (list, tuple)):
        names = list(activation)
    elif activation == "mix":
        rng = np.random.default_rng(seed)
        return [str(rng.choice(MIX)) for _ in range(depth)]
    else:
        names = [a.strip() for a in str(activation).split(",") if a.strip()]
    unknown = [a for a in names if a not in ACTIVATIONS]
    if unknown or not names:
        raise UserError(f"--activation: unknown activation {', '.join(unknown) or repr(activation)}; "
                        f"choose from {', '.join(ACTIVATIONS)}, mix, or a comma-separated list")
    return [names[i % len(names)] for i in range(depth)]


@keras.saving.register_keras_serializable(package="tfart")
class CPPN(Generator):
    """A CPPN: (x, y[, r], z) -> RGB or grey, rendered as [B, H, W, 3] float32 in [0, 1].

    encoder: how coordinates enter the network.
      'ha'       x, y, r scaled by `coord_scale`, plus z * `z_scale` (David Ha's CPPN).
      'lucid'    x, y scaled so a square canvas spans +-sqrt(3) (unit variance, Lucid's CPPN).
      'periodic' sin/cos of `harmonics` whole periods across the canvas: the picture tiles seamlessly.
      'fourier'  Gaussian Fourier features [cos 2pi Bv, sin 2pi Bv], B ~ N(0, sigma^2) (Tancik 2020).
                 sigma may be a list of bandwidths (multi-scale): the features are split into
                 equal bands, one per bandwidth, low to high.
      'siren'    a sine first layer sin(w0 (W v + b)) with SIREN's initialisation (Sitzmann 2020);
                 later layers get SIREN's uniform initialisation with w0 folded into the weights,
                 times init_scale / INIT_SCALE (the default gives SIREN's). Use activation='sin'.
    activation: one name, a comma-separated list cycled over the layers, or 'mix'.
    init_scale: standard deviation of the weights times sqrt(fan_in) (times GAIN of the layer's
      activation); larger gives busier pictures. The defaults (4 tanh layers, init_scale 7, x, y, r
      times 8 and z times 5) give crisp, faceted, saturated pictures in the manner of Ha's CPPNs.
    batch: images drawn at once; they share the weights and differ in their latent codes
      (z is [batch, latent_dim]), so a batch needs latent_dim > 0.
    prior: where latent codes come from, its own z included: 'uniform' in [-1, 1] (art), or
      'normal' (a VAE decoder's, see tfart.vae).
    mixture: a Gaussian mixture fitted to a VAE's training codes (tfart.latent.fit_mixture), or
      None; samples, walks and latent searches draw their codes from it where it is given.
    decorrelate: the RGB head outputs decorrelated colour, mixed to RGB through ImageNet's colour
      correlation (Lucid's trick, as in the FFT image), instead of three independent sigmoids.
    """

    def __init__(self, latent_dim=ART["latent_dim"], depth=ART["depth"], hidden=ART["hidden"],
                 activation=ART["activation"], encoder=ART["encoder"], colour=True, init_scale=ART["init_scale"],
                 coord_scale=ART["coord_scale"], z_scale=ART["z_scale"], features=64, sigma=ART["sigma"],
                 harmonics=4, w0=30.0, mirror=False, fold=0, seed=0, batch=1, decorrelate=False,
                 prior="uniform", mixture=None, name=None, **kwargs):
        super().__init__(name=name or type(self).__name__.lower(), **kwargs)
        if encoder not in ENCODERS:
            raise UserError(f"--encoder: unknown encoder {encoder!r}; choose from {', '.join(ENCODERS)}")
        for flag, value in (("depth", depth), ("hidden", hidden)):
            if int(value) < 1:
                raise UserError(f"--{flag}: must be at least 1, got {value}")
        if int(latent_dim) < 0:
            raise UserError(f"--latent_dim: must be 0 or more, got {latent_dim}")
        self.latent_dim, self.batch = int(latent_dim), int(batch)
        if self.batch < 1:
            raise UserError(f"--batch: must be at least 1, got {batch}")
        if self.batch > 1 and not self.latent_dim:
            raise UserError(f"--batch: the images of a CPPN batch share its weights and differ in their "
                            f"latent codes; give --latent_dim > 0 (got {latent_dim})")
        self.decorrelate = bool(decorrelate)
        if prior not in PRIORS:
            raise UserError(f"--prior: {' or '.join(PRIORS)}, got {prior!r}")
        self.prior, self.mixture = prior, mixture
        self.depth, self.hidden = int(depth), int(hidden)
        self.activations = resolve_activations(activation, self.depth, seed)
        self.encoder, self.colour = encoder, bool(colour)
        self.init_scale, self.coord_scale, self.z_scale = float(init_scale), float(coord_scale), float(z_scale)
        self.features = int(features)
        self.sigmas = bandwidths(sigma, self.features if encoder == "fourier" else None)
        self.sigma = self.sigmas[0] if len(self.sigmas) == 1 else list(self.sigmas)
        self.harmonics, self.w0 = int(harmonics), float(w0)
        self.mirror, self.fold, self.seed = bool(mirror), int(fold), int(seed)

        # A search in a VAE decoder's latent space stays where the decoder was trained: each code's
        # norm is clipped to PRIOR_RADIUS * sqrt(L) after every optimizer step (Keras constraints).
        keep = keras.constraints.MaxNorm(PRIOR_RADIUS * math.sqrt(max(self.latent_dim, 1)), axis=-1) \
            if prior == "normal" else None
        self.z = self.add_weight(shape=(self.batch, self.latent_dim), name="z", initializer=PRIORS[prior](self.seed),
                                 constraint=keep)
        if encoder == "fourier":
            # Fixed random frequencies: a non-trainable weight so exports and checkpoints keep them.
            self.frequencies = self.add_weight(
                shape=(2, self.features), name="frequencies", trainable=False,
                initializer=keras.initializers.RandomNormal(stddev=self.sigmas[0], seed=self.seed + 101))
            if len(self.sigmas) > 1:  # one band of features per bandwidth
                band = np.repeat(self.sigmas, -(-self.features // len(self.sigmas)))[:self.features]
                self.frequencies.assign(self.frequencies * (band / self.sigmas[0]).astype("float32"))
        if encoder == "siren":
            bound = 1.0 / (2 + self.latent_dim)  # SIREN's first layer: U(-1/fan_in, 1/fan_in)
            self.first = keras.layers.Dense(
                self.hidden, name="siren_first",
                kernel_initializer=keras.initializers.RandomUniform(-bound, bound, seed=self.seed + 102),
                bias_initializer=keras.initializers.RandomUniform(-bound, bound, seed=self.seed + 103))
        self.body = [keras.layers.Dense(self.hidden, name=f"dense_{i}",
                                        kernel_initializer=self._kernel_init(i),
                                        bias_initializer=self._bias_init(i))
                     for i in range(self.depth)]
        self.head = self._make_head()
        self.image(4, 4)  # build every layer now, so weights exist before any training or export
        self.built = True

    # --- parts ---------------------------------------------------------------------------------
    def _scale(self, i):
        """The weight scale of layer i: init_scale times its activation's gain (the head: 1)."""
        return self.init_scale * (GAIN[self.activations[i]] if i < self.depth else 1.0)

    def _kernel_init(self, i):
        if self.encoder == "siren":
            # Relative to the default init_scale, which gives SIREN's bounds exactly.
            return _SirenUniform(scale=self.init_scale / INIT_SCALE, seed=self.seed + i)
        return keras.initializers.VarianceScaling(scale=self._scale(i) ** 2, mode="fan_in",
                                                  distribution="untruncated_normal", seed=self.seed + i)

    def _bias_init(self, i):
        return keras.initializers.RandomNormal(stddev=0.5 * self._scale(i), seed=self.seed + 50 + i)

    def _make_head(self):
        channels = 3 if self.colour else 1
        return keras.layers.Dense(channels, name="rgb" if self.colour else "grey",
                                  kernel_initializer=self._kernel_init(self.depth),
                                  bias_initializer="zeros")

    def _encode(self, xy, extent, z):
        """Plane coordinates [h, w, 2] and z [B, L] -> network inputs [B, h, w, F]."""
        xy = coords.apply_symmetry(xy, self.mirror, self.fold)
        if self.encoder == "ha":
            feats = self.coord_scale * tf.concat([xy, coords.radius(xy)], axis=-1)
        elif self.encoder == "lucid":
            feats = math.sqrt(3.0) * xy
        elif self.encoder == "periodic":
            k = tf.range(1, self.harmonics + 1, dtype=tf.float32)
            angles = math.pi * (xy / extent)[..., None] * k  # [h, w, 2, K], whole periods per canvas
            angles = tf.reshape(angles, tf.concat([tf.shape(xy)[:-1], [-1]], 0))
            feats = tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)
        elif self.encoder == "fourier":
            proj = 2.0 * math.pi * tf.tensordot(xy, self.frequencies, axes=1)
            feats = tf.concat([tf.cos(proj), tf.sin(proj)], axis=-1)
        else:  # siren: coordinates pass as they are into the sine first layer
            feats = xy
        batch = tf.shape(z)[0]
        feats = tf.broadcast_to(feats[None], tf.concat([[batch], tf.shape(feats)], 0))
        spatial = tf.shape(feats)[1:3]
        zmap = tf.broadcast_to(self.z_scale * z[:, None, None, :],
                               tf.concat([[batch], spatial, [self.latent_dim]], 0))
        feats = tf.concat([feats, zmap], axis=-1)
        if self.encoder == "siren":
            feats = tf.sin(self.w0 * self.first(feats))
        return feats

    def _hidden(self, xy, extent, z):
        net = self._encode(xy, extent, z)
        for layer, activation in zip(self.body, self.activations):
            net = ACTIVATIONS[activation](layer(net))
        return net

    def _to_colour(self, logits):
        """[..., C] head outputs -> colours in [0, 1]; with `decorrelate` an RGB head's outputs
        are decorrelated colour (Lucid's colour mixing, as in the FFT image)."""
        if self.decorrelate and self.colour:
            return decorrelated_to_rgb(logits)
        out = tf.sigmoid(logits)
        return out if self.colour else tf.tile(out, [1, 1, 1, 3])

    def _from_head(self, out, xy):
        """The head's outputs [B, h, w, C] at plane coordinates xy [h, w, 2] -> colours in [0, 1]."""
        return self._to_colour(out)

    def _render(self, xy, extent, z, pitch):
        return self._from_head(self.head(self._hidden(xy, extent, z)), xy)

    def get_config(self):
        return {"name": self.name, "latent_dim": self.latent_dim, "depth": self.depth,
                "hidden": self.hidden, "activation": list(self.activations), "encoder": self.encoder,
                "colour": self.colour, "init_scale": self.init_scale, "coord_scale": self.coord_scale,
                "z_scale": self.z_scale, "features": self.features, "sigma": self.sigma,
                "harmonics": self.harmonics, "w0": self.w0, "mirror": self.mirror,
                "fold": self.fold, "seed": self.seed, "batch": self.batch, "decorrelate": self.decorrelate,
                "prior": self.prior, "mixture": self.mixture}


@keras.saving.register_keras_serializable(package="tfart")
class _SirenUniform(keras.initializers.Initializer):
    """SIREN's hidden-layer weights U(-sqrt(6/n), sqrt(6/n)) with w0 folded in, times `scale`."""

    def __init__(self, scale=1.0, seed=None):
        self.scale, self.seed = scale, seed

    def __call__(self, shape, dtype=None):
        bound = self.scale * math.sqrt(6.0 / shape[0])
        return keras.random.uniform(shape, -bound, bound, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "seed": self.seed}
