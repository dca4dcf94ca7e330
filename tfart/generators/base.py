"""The interface every generator shares: render any tile of any canvas, name its variables."""
import keras
import tensorflow as tf

from tfart import coords
from tfart.errors import UserError

TRAINABLE_PARTS = ("weights", "latent", "both")


class Generator(keras.Model):
    """A differentiable image: parameters -> [B, H, W, 3] float32 in [0, 1].

    Subclasses implement `_render(xy, extent, z, pitch)` (resolution-free generators, which see
    plane coordinates and the distance between neighbouring samples of the canvas) or override `render_tile` (fixed-size images). The latent code, if any, lives in
    its own variable `self.z` of shape [1, latent_dim], so an optimizer can train it alone.
    """

    latent_dim = 0
    prior = "uniform"  # latent codes are drawn uniformly in [-1, 1] ('normal' for a VAE's decoder)
    batch = 1  # images rendered at once: [batch, H, W, 3]
    resolution_free = True
    animated = False    # True: a cellular automaton, which runs (generators.nca.animate)
    stochastic = False  # True: each training step's pictures are random (no L-BFGS)
    default_tile = 512  # tile side for big renders: activations of a tile stay near 100 MB

    def render_tile(self, height, width, top, left, tile_height, tile_width, z=None, supersample=1,
                    offset=None):
        """A tile of an H x W canvas: [B, tile_height, tile_width, 3] float32 in [0, 1].

        z: [B, latent_dim] or None for the generator's own latent code (gradients reach it).
        supersample: s >= 1 renders s x s samples per pixel and averages them (anti-aliasing).
        offset: (dx, dy) in pixels samples the picture off the pixel centres (optimize's
          Settings.subpixel draws one per step); None: at the centres.
        """
        s = tf.cast(supersample, tf.int32)
        th, tw = tf.cast(tile_height, tf.int32), tf.cast(tile_width, tf.int32)
        if offset is not None:
            offset = tf.cast(offset, tf.float32) * tf.cast(s, tf.float32)
        xy = coords.grid(height * s, width * s, top * s, left * s, th * s, tw * s, offset)
        image = self._render(xy, coords.half_extent(height, width), self._latent(z),
                             coords.pitch(height * s, width * s))
        channels = tf.shape(image)[-1]
        batch = tf.shape(image)[0]
        image = tf.reshape(image, tf.stack([batch, th, s, tw, s, channels]))
        return tf.reduce_mean(image, axis=[2, 4])

    def image(self, height, width, z=None, supersample=1, offset=None):
        """The whole H x W canvas: [B, H, W, 3] float32 in [0, 1] (offset: see render_tile)."""
        return self.render_tile(height, width, 0, 0, height, width, z=z, supersample=supersample,
                                offset=offset)

    def training_image(self, height, width, offset=None):
        """What a training step optimizes: (the canvas [B, H, W, 3], {name: extra loss term}).
        The canvas itself and no term here; a generator with a training state of its own (the
        cellular automaton's sample pool) overrides it."""
        return self.image(height, width, offset=offset), {}

    def animate(self, height, width, frames, steps=None, seed=None, damage=False):
        """[H, W, 3] pictures of a generator that runs (`animated`): a cellular automaton growing."""
        raise NotImplementedError(f"the {self.name} generator does not run as an animation")

    def exported_functions(self):
        """More tf.functions (with input signatures) for an export, by name: none here."""
        return {}

    def call(self, inputs):
        """Keras entry point: inputs = (height, width) -> the whole canvas with the own z."""
        height, width = inputs
        return self.image(height, width)

    def _latent(self, z):
        if self.latent_dim == 0:
            return tf.zeros([self.batch, 0])
        return self.z if z is None else tf.convert_to_tensor(z, tf.float32)

    @property
    def latent_variables(self):
        """The latent code's variables ([] for generators without one)."""
        return [self.z] if self.latent_dim else []

    @property
    def weight_variables(self):
        """Every trainable variable that is not the latent code."""
        latent = {id(v) for v in self.latent_variables}
        return [v for v in self.trainable_variables if id(v) not in latent]

    def variables_to_train(self, part="weights"):
        """The variables an optimizer updates for part = 'weights', 'latent' or 'both'."""
        if part not in TRAINABLE_PARTS:
            raise UserError(f"--train: expected one of {', '.join(TRAINABLE_PARTS)}, got {part!r}")
        if part != "weights" and not self.latent_dim:
            raise UserError(f"--train {part}: the {self.name} generator has no latent code "
                            "(use --latent_dim > 0 or --train weights)")
        chosen = {"weights": self.weight_variables, "latent": self.latent_variables,
                  "both": self.weight_variables + self.latent_variables}[part]
        return chosen

    @property
    def tile_signature(self):
        """The input signature of `render_tile`, shared by the compiled renderer and the export."""
        scalar = tf.TensorSpec([], tf.int32)
        return [scalar] * 6 + [tf.TensorSpec([None, self.latent_dim], tf.float32), scalar]

    def compiled_render_tile(self):
        """`render_tile` as one tf.function over all sizes: rendering many images never retraces."""
        if not hasattr(self, "_compiled_tile"):
            self._compiled_tile = tf.function(self.render_tile, input_signature=self.tile_signature)
        return self._compiled_tile

    def default_z(self):
        """The generator's own latent code as a [batch, latent_dim] tensor."""
        return tf.convert_to_tensor(self._latent(None))
