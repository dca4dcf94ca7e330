"""Aligned interpolation: a batch of frames that morphs from one objective into another.

Lucid's `channel_interpolate` and `alignment` (Mordvintsev et al., *Differentiable Image
Parameterizations*, Distill 2018), for any two objectives of the --objective grammar:

    objective = objectives.interpolation(objectives.parse("block4_conv3:12"),
                                         objectives.parse("block4_conv3:33"), frames=8)
    generator = interpolation.generator("fft", 128, frames=8)            # frames of their own ...
    objective += 1.0 * objectives.alignment("block4_conv3")               # ... tied by a penalty
    generator = interpolation.generator("cppn", 128, frames=8)           # or one network

Frame i of N minimises (1 - t) * start + t * end, t = i / (N - 1). Two ways keep neighbouring
frames laid out alike, so the batch reads as a morph and not as N unrelated pictures:
- pixel or FFT frames, each an image of its own, tied by the alignment penalty: the features of
  frames d apart are pulled together, with weight decay**-d;
- a CPPN or Fourier-CPPN: every frame is the same network at a latent code on the straight line
  between two trained codes (Interpolated), so the frames are aligned by construction.
`frame_change` measures the result: the mean change between consecutive frames.
"""
import numpy as np
import tensorflow as tf

from tfart import generators
from tfart.generators.base import Generator


class Interpolated(Generator):
    """A CPPN-family generator with two latent codes whose batch is `frames` images at codes
    evenly spaced on the line between them: z_i = (1 - t) z_0 + t z_1. Training 'both' moves the
    network and the two end codes."""

    def __init__(self, inner, frames, **kwargs):
        super().__init__(name=f"{inner.name}_interpolated", **kwargs)
        if inner.batch != 2 or not inner.latent_dim:
            raise ValueError("Interpolated needs a generator with two latent codes (batch=2, latent_dim > 0)")
        self.inner, self.batch, self.latent_dim = inner, int(frames), inner.latent_dim

    @property
    def latent_variables(self):
        return self.inner.latent_variables

    def codes(self):
        """The frames' latent codes [frames, latent_dim]."""
        t = tf.linspace(0.0, 1.0, self.batch)[:, None]
        return (1.0 - t) * self.inner.z[0] + t * self.inner.z[1]

    def _latent(self, z):
        return self.codes() if z is None else tf.convert_to_tensor(z, tf.float32)

    def _render(self, xy, extent, z, pitch):
        return self.inner._render(xy, extent, z, pitch)


# How strongly a CPPN's latent code enters its first layer in an interpolation. With --weights hed,
# block4_conv3_pre_relu:12 -> :33 over 8 frames at 96 px, 64 steps: at the visualization
# recipe's 1, the frames barely differ (mean change 0.013 a pixel) and the end channel rises from
# -7 on the first frame to 28 on the last; at 10 a mesh visibly turns into diagonal stripes
# (change 0.024; -12 to 37, and the start channel falls from 53 to -10); at 20 the change is 0.054.
INTERPOLATION_Z_SCALE = 10.0


def generator(parameterization, size, frames, seed=0, latent_dim=8):
    """The generator of an interpolation of `frames` frames, and its learning rate: pixel or FFT
    frames of their own, or an Interpolated CPPN / Fourier-CPPN (tfart.dream.VISUALIZE's recipes,
    with the latent code weighing INTERPOLATION_Z_SCALE)."""
    from tfart.dream import VISUALIZE
    lr, kwargs = VISUALIZE[parameterization]
    if parameterization in ("cppn", "fourier_cppn"):
        inner = generators.make(parameterization, size, size, seed=seed, batch=2, latent_dim=latent_dim,
                                **{**kwargs, "z_scale": INTERPOLATION_Z_SCALE})
        return Interpolated(inner, frames), lr
    return generators.make(parameterization, size, size, seed=seed, batch=frames, **kwargs), lr


def frame_change(frames):
    """The mean absolute change of a pixel value between consecutive frames ([N, H, W, 3] in [0, 1])."""
    frames = np.asarray(frames, np.float64)
    return float(np.mean(np.abs(frames[1:] - frames[:-1])))
