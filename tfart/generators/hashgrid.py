"""A multi-resolution hash encoding (Muller et al. 2022, Instant-NGP) as an image generator.

Each of L levels lays a square grid over the plane, N_l cells across the canvas's shorter side,
with N_l growing geometrically from `coarsest` to `finest`. A pixel's feature at a level is the
bilinear blend of trainable vectors stored at the four corners of its cell; the levels'
features, concatenated, go through a small ReLU network to a colour. A coarse level whose
corners fit in its table stores every corner of the central square; a fine level looks its
corners up by a spatial hash, (i XOR j * 2654435761) mod T, and lets colliding corners share a
vector: the network learns to tell them apart from the other levels.

It is resolution-free like a CPPN: corners are whole numbers in plane units, so a pixel's
feature depends on its plane position alone, and a render at 8x samples the same continuous
picture (bilinearly between the finest corners). Unlike Instant-NGP's CUDA kernels, this is TF
ops only: gathers and elementwise arithmetic, and matrix products on fixed blocks of pixels, so
a tile is bit-identical to the same pixels of the whole canvas (a matrix product's rounding
depends on its shape on oneDNN; on blocks of one shape it does not).
"""
import math

import keras
import tensorflow as tf

from tfart.errors import UserError
from tfart.generators.base import Generator
from tfart.generators.cppn import PRIORS

PRIME = 2654435761  # Instant-NGP's hash multiplier for the second coordinate
BLOCK = 256         # pixels per matrix product: every product has the same shape


def resolutions(levels, coarsest, finest):
    """Cells across the shorter side at each level: coarsest, ..., finest, geometrically."""
    if levels == 1:
        return [int(coarsest)]
    growth = math.exp((math.log(finest) - math.log(coarsest)) / (levels - 1))
    return [int(math.floor(coarsest * growth ** level + 1e-6)) for level in range(levels)]


def corner_index(i, j, cells, table_size):
    """Table row of the integer grid corners (i, j) [int64] at a level of `cells` cells.

    Dense where the level's (cells + 1)^2 corners fit in the table and the corner lies on the
    central square; hashed everywhere else (fine levels, and the wings of a wide canvas).
    """
    hashed = tf.math.floormod(tf.bitwise.bitwise_xor(i, j * PRIME), table_size)
    side = cells + 1
    if side * side > table_size:
        return hashed
    inside = (i >= 0) & (i <= cells) & (j >= 0) & (j <= cells)
    return tf.where(inside, i + side * j, hashed)


def lookup(table, rows):
    """tf.gather(table, rows), with its gradient summed by bincount: with TF's own gather gradient
    (IndexedSlices summed into the table) a 256 px fit step took 0.27 s, with this 0.20 s."""
    table = tf.convert_to_tensor(table)
    size, width = table.shape

    @tf.custom_gradient
    def gather(table):
        def grad(upstream):
            flat = tf.reshape(tf.cast(rows, tf.int32), [-1])
            upstream = tf.reshape(upstream, [-1, width])
            return tf.stack([tf.math.bincount(flat, weights=upstream[:, k], minlength=size, maxlength=size)
                             for k in range(width)], axis=-1)
        return tf.gather(table, rows), grad
    return gather(table)


@keras.saving.register_keras_serializable(package="tfart")
class HashGrid(Generator):
    """Multi-resolution hash grid + ReLU network: [B, H, W, 3] float32 in [0, 1].

    levels: grid levels L. log2_table: each level's table holds at most 2^log2_table vectors
      (coarse levels need fewer). level_features: the length of each vector.
    coarsest, finest: cells across the canvas's shorter side at the first and last level.
    hidden, depth: the ReLU network's width and number of hidden layers.
    table_scale: the tables start uniform in +-table_scale (Instant-NGP's 1e-4: a flat picture
      that any objective can shape; larger values start from coloured noise).
    latent_dim: a code z (per batch image) shifts the first hidden layer, so latent animations
      and batches work as for a CPPN.
    stagger: shift every level's grid by half of its cell (Instant-NGP's +0.5), so that the
      levels' cell edges do not all meet at the canvas's edges and centre lines.
    """

    default_tile = 256  # a tile's gathers and activations stay near 100 MB

    def __init__(self, levels=16, log2_table=14, level_features=2, coarsest=8, finest=512, hidden=64,
                 depth=2, table_scale=1e-4, latent_dim=8, z_scale=1.0, seed=0, batch=1, prior="uniform",
                 stagger=False, name=None, **kwargs):
        super().__init__(name=name or "hashgrid", **kwargs)
        checks = (("levels", levels, 1, 64), ("log2_table", log2_table, 4, 24),
                  ("level_features", level_features, 1, 64), ("coarsest", coarsest, 1, 1 << 20),
                  ("finest", finest, 1, 1 << 20), ("hidden", hidden, 1, 4096), ("depth", depth, 1, 64),
                  ("latent_dim", latent_dim, 0, 4096), ("batch", batch, 1, 1 << 16))
        for flag, value, low, high in checks:
            if not (isinstance(value, int) or float(value).is_integer()) or not low <= int(value) <= high:
                raise UserError(f"--{flag}: must be a whole number from {low} to {high}, got {value}")
        if int(finest) < int(coarsest):
            raise UserError(f"--finest: must be at least --coarsest ({coarsest}), got {finest}")
        if int(batch) > 1 and not int(latent_dim):
            raise UserError("--batch: the images of a batch differ in their latent codes; give --latent_dim > 0")
        if not (table_scale > 0 and math.isfinite(table_scale)):
            raise UserError(f"--table_scale: must be a positive number, got {table_scale}")
        if prior not in PRIORS:
            raise UserError(f"--prior: {' or '.join(PRIORS)}, got {prior!r}")
        self.levels, self.log2_table, self.level_features = int(levels), int(log2_table), int(level_features)
        self.coarsest, self.finest = int(coarsest), int(finest)
        self.hidden, self.depth, self.table_scale = int(hidden), int(depth), float(table_scale)
        self.latent_dim, self.z_scale, self.seed = int(latent_dim), float(z_scale), int(seed)
        self.batch, self.prior, self.stagger = int(batch), prior, bool(stagger)
        self.cells = resolutions(self.levels, self.coarsest, self.finest)
        self.table_sizes = [min(1 << self.log2_table, (n + 1) ** 2) for n in self.cells]

        self.z = self.add_weight(shape=(self.batch, self.latent_dim), name="z",
                                 initializer=PRIORS[prior](self.seed))
        self.tables = [self.add_weight(shape=(size, self.level_features), name=f"table_{level}",
                                       initializer=keras.initializers.RandomUniform(
                                           -self.table_scale, self.table_scale, seed=self.seed + level))
                       for level, size in enumerate(self.table_sizes)]
        widths = [self.levels * self.level_features] + [self.hidden] * self.depth + [3]
        self.kernels, self.biases = [], []
        for layer, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            self.kernels.append(self.add_weight(
                shape=(fan_in, fan_out), name=f"kernel_{layer}",
                initializer=keras.initializers.HeNormal(seed=self.seed + 100 + layer)))
            self.biases.append(self.add_weight(shape=(fan_out,), name=f"bias_{layer}", initializer="zeros"))
        self.z_kernel = self.add_weight(shape=(self.latent_dim, self.hidden), name="z_kernel",
                                        initializer=keras.initializers.HeNormal(seed=self.seed + 99))
        self.built = True

    def encode(self, xy):
        """Plane coordinates [..., 2] -> concatenated level features [..., L * level_features]."""
        features = []
        for cells, size, table in zip(self.cells, self.table_sizes, self.tables):
            position = (xy + 1.0) * (cells / 2.0) + (0.5 if self.stagger else 0.0)  # the square: [0, cells]
            corner = tf.floor(position)
            t = position - corner
            i, j = (tf.cast(corner[..., k], tf.int64) for k in (0, 1))
            tx, ty = t[..., 0:1], t[..., 1:2]

            def at(di, dj):
                return lookup(table, corner_index(i + di, j + dj, cells, size))
            top = at(0, 0) * (1.0 - tx) + at(1, 0) * tx
            bottom = at(0, 1) * (1.0 - tx) + at(1, 1) * tx
            features.append(top * (1.0 - ty) + bottom * ty)
        return tf.concat(features, axis=-1)

    def _render(self, xy, extent, z, pitch):
        shape = tf.shape(xy)[:-1]
        pixels = tf.reshape(self.encode(xy), [-1, self.levels * self.level_features])
        count = tf.shape(pixels)[0]
        padded = (count + BLOCK - 1) // BLOCK * BLOCK
        pixels = tf.pad(pixels, [[0, padded - count], [0, 0]])
        blocks = tf.reshape(pixels, [-1, BLOCK, self.levels * self.level_features])
        net = tf.linalg.matmul(blocks, self.kernels[0]) + self.biases[0]       # [n, BLOCK, hidden]
        shift = tf.linalg.matmul(self.z_scale * z, self.z_kernel)               # [B, hidden]
        net = tf.nn.relu(net[None] + shift[:, None, None, :])                  # [B, n, BLOCK, hidden]
        batch = tf.shape(z)[0]
        net = tf.reshape(net, [-1, BLOCK, self.hidden])
        for kernel, bias in zip(self.kernels[1:-1], self.biases[1:-1]):
            net = tf.nn.relu(tf.linalg.matmul(net, kernel) + bias)
        colour = tf.sigmoid(tf.linalg.matmul(net, self.kernels[-1]) + self.biases[-1])
        colour = tf.reshape(colour, [batch, padded, 3])[:, :count]
        return tf.reshape(colour, tf.concat([[batch], shape, [3]], 0))

    def get_config(self):
        return {"name": self.name, "levels": self.levels, "log2_table": self.log2_table,
                "level_features": self.level_features, "coarsest": self.coarsest, "finest": self.finest,
                "hidden": self.hidden, "depth": self.depth, "table_scale": self.table_scale,
                "latent_dim": self.latent_dim, "z_scale": self.z_scale, "seed": self.seed,
                "batch": self.batch, "prior": self.prior, "stagger": self.stagger}
