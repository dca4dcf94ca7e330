"""The Fourier-CPPN of Tesfaldet, Snelgrove and Vazquez (2019): a CPPN that outputs a spectrum.

A plain CPPN maps each pixel to a colour through smooth functions and so favours smooth images.
The Fourier-CPPN keeps the CPPN body but, for every pixel and colour, outputs complex coefficients
F[k, l] on an M x N grid of integer frequencies; an inverse-DFT layer then evaluates
    v(p) = sum_{k,l} Re(F_p[k, l] * exp(2 pi i (k u / M + l w / N)))
at the pixel's own position (u, w) and the sigmoid turns v into a colour. Positions are counted
in pixels of a reference canvas (`reference_size` pixels on its shorter side), so the pattern is
periodic with the grid (M x N reference pixels) and scales with the canvas: render at 4x and the
picture is the same, four times larger, not a finer texture.
"""
import math

import keras
import tensorflow as tf

from tfart import coords
from tfart.errors import UserError
from tfart.generators.cppn import CPPN


@keras.saving.register_keras_serializable(package="tfart")
class FourierCPPN(CPPN):
    """CPPN body + per-colour complex-coefficient heads + inverse DFT: [B, H, W, 3] in [0, 1].

    grid: (M, N) frequency grid (10 x 10 as in the paper).
    reference_size: shorter side, in pixels, of the canvas on which one grid cell is one pixel.
    detail, decay: the DC coefficient (the plain CPPN's output) is scaled by 1 and every other one
      by detail / |f|^decay (|f| in cycles per grid). With equal weights a random network renders
      pixel noise: every non-DC frequency repeats at least once per grid cell. With these defaults
      it renders a CPPN picture with a fine texture on top, and gradients are preconditioned the
      way Lucid's FFT parameterization preconditions them.
    frequencies: 'grid' (the paper's M x N integer frequencies per grid: the picture repeats
      every M x N reference pixels) or 'random' (MN - 1 fixed frequencies drawn uniformly from
      the same band, plus DC: no common period, so no tiling).
    """

    def __init__(self, grid=(10, 10), reference_size=256, detail=0.1, decay=1.0, frequencies="grid", **kwargs):
        self.grid = tuple(int(g) for g in (grid if isinstance(grid, (list, tuple)) else (grid, grid)))
        self.reference_size = int(reference_size)
        self.detail, self.decay = float(detail), float(decay)
        if frequencies not in ("grid", "random"):
            raise UserError(f"--frequencies: 'grid' or 'random', got {frequencies!r}")
        self.frequency_layout = frequencies
        super().__init__(**kwargs)

    def _random_frequencies(self):
        """The 'random' layout's [MN, 2] (y, x) frequencies in cycles per reference pixel, DC first:
        a non-trainable weight, so exports and checkpoints keep them."""
        m, n = self.grid
        table = self.add_weight(shape=(m * n, 2), name="spectrum_frequencies", trainable=False,
                                initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=self.seed + 104))
        table.assign(tf.concat([tf.zeros([1, 2]), table[1:]], 0))
        return table

    @property
    def default_tile(self):
        """Tile side that keeps the 6MN coefficients of a tile near 160 MB (256 px at 10 x 10)."""
        return max(16, int(256 * 10 / max(self.grid)))

    def _spectrum_scale(self):
        """[2MN] fixed multipliers for the (cos, -sin) coefficients, by frequency magnitude."""
        m, n = self.grid
        if self.frequency_layout == "random":  # in cycles per grid, as the grid's are
            per_grid = self.spectrum_frequencies * tf.constant([m, n], tf.float32)
            f = tf.reshape(tf.norm(per_grid, axis=-1), [m, n])
        else:
            fk, fl = tf.abs(_signed(m)), tf.abs(_signed(n))
            f = tf.sqrt(tf.cast(fk[:, None] ** 2 + fl[None, :] ** 2, tf.float32))
        scale = tf.where(f > 0, self.detail / tf.maximum(f, 1.0) ** self.decay, 1.0)
        scale = tf.reshape(scale, [m * n])
        return tf.concat([scale, scale], axis=0)

    def _make_head(self):
        m, n = self.grid
        if self.frequency_layout == "random":
            self.spectrum_frequencies = self._random_frequencies()
        channels = 3 if self.colour else 1
        # Real and imaginary part of each coefficient, for each colour.
        return keras.layers.Dense(
            channels * m * n * 2, name="spectrum",
            kernel_initializer=keras.initializers.VarianceScaling(
                scale=self.init_scale ** 2, mode="fan_in",
                distribution="untruncated_normal", seed=self.seed + self.depth),
            bias_initializer="zeros")

    def _basis(self, xy):
        """[h, w, 2MN]: cos and -sin of the DFT phases at each pixel (Re(F e^{i t}) = a cos t - b sin t)."""
        m, n = self.grid
        pixels = xy * (self.reference_size / 2.0)  # plane -> reference-canvas pixel units
        if self.frequency_layout == "random":
            phase = 2.0 * math.pi * tf.tensordot(pixels, self.spectrum_frequencies[:, ::-1], [[-1], [1]])
            return tf.concat([tf.cos(phase), -tf.sin(phase)], axis=-1)
        # Signed frequencies (k - M for k >= M/2) are band-limited between the reference pixels,
        # so a render at 4x shows the same picture larger, not new aliases. Positions count from
        # the canvas centre, so they are whole numbers for an odd reference size and half-integers
        # for an even one; there a signed frequency's phase differs from the unsigned one's by pi
        # (a fixed sign per frequency, which the network's coefficients absorb), so the picture
        # is no less a Fourier-CPPN. Counting from a corner instead would re-phase every saved
        # model, so the centre stays.
        k = tf.cast(_signed(m), tf.float32) / m
        l = tf.cast(_signed(n), tf.float32) / n
        phase = 2.0 * math.pi * (pixels[..., 1:2, None] * k[:, None] + pixels[..., 0:1, None] * l[None, :])
        phase = tf.reshape(phase, tf.concat([tf.shape(xy)[:-1], [m * n]], 0))
        return tf.concat([tf.cos(phase), -tf.sin(phase)], axis=-1)

    def _from_head(self, coeffs, xy):
        """The head's coefficients [B, h, w, C * 2MN] at plane coordinates xy -> colours in [0, 1]."""
        m, n = self.grid
        channels = 3 if self.colour else 1
        shape = tf.concat([tf.shape(coeffs)[:-1], [channels, 2 * m * n]], 0)
        coeffs = tf.reshape(coeffs, shape)                            # [B, h, w, C, 2MN]
        # The phases follow the same symmetry as the network's inputs, so folds stay seamless.
        basis = self._basis(coords.apply_symmetry(xy, self.mirror, self.fold))
        basis = basis * self._spectrum_scale()
        return self._to_colour(tf.einsum("bhwck,hwk->bhwc", coeffs, basis))

    def get_config(self):
        return {**super().get_config(), "grid": list(self.grid), "reference_size": self.reference_size,
                "detail": self.detail, "decay": self.decay, "frequencies": self.frequency_layout}


def _signed(m):
    """DFT indices 0..M-1 as signed frequencies in [-M/2, M/2)."""
    return tf.math.floormod(tf.range(m) + m // 2, m) - m // 2
