"""The two baselines of every feature-visualization library: raw pixels and an FFT spectrum.

Both are fixed-size images (not resolution-free): rendering them at another size resizes them.
Their variables are all "weights"; they have no latent code.
"""
import keras
import numpy as np
import tensorflow as tf

from tfart.errors import UserError
from tfart.generators.base import Generator

# Square root of the colour correlation of ImageNet images (Olah et al.'s Lucid uses these
# figures): mixing three decorrelated channels through it gives natural colour statistics.
COLOUR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02],
                                    [0.27, 0.00, -0.05],
                                    [0.27, -0.09, 0.03]], np.float32)
COLOUR_MIX = COLOUR_CORRELATION_SQRT / np.max(np.linalg.norm(COLOUR_CORRELATION_SQRT, axis=0))


def decorrelated_to_rgb(decorrelated):
    """[..., 3] decorrelated colour logits -> [..., 3] RGB in [0, 1]: mix through the square
    root of ImageNet's colour correlation, then the sigmoid (Lucid's decorrelated colour)."""
    return tf.sigmoid(tf.tensordot(decorrelated, COLOUR_MIX.T, axes=1))


def _check_size(height, width):
    if int(height) < 1 or int(width) < 1:
        raise UserError(f"--size: height and width must be positive, got {height}x{width}")


class _FixedSizeImage(Generator):
    """A fixed H x W image; `render_tile` resizes it to the requested canvas, then crops."""

    resolution_free = False

    def __init__(self, height, width, seed=0, batch=1, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        _check_size(height, width)
        if int(batch) < 1:
            raise UserError(f"--batch: must be at least 1, got {batch}")
        self.height, self.width, self.seed, self.batch = int(height), int(width), int(seed), int(batch)

    def render_tile(self, height, width, top, left, tile_height, tile_width, z=None, supersample=1,
                    offset=None):
        if offset is not None:
            raise ValueError("offset: a fixed-size image has nothing between its pixels to sample")
        image = self.full_image()
        static = tf.get_static_value(height), tf.get_static_value(width)
        if static == (self.height, self.width):
            pass  # the optimization loop's case: no resize in the graph, so XLA compiles it
        elif None not in static:
            image = tf.image.resize(image, static, "bicubic")
        else:  # sizes known only when run (an export's signature)
            size = tf.stack([tf.cast(height, tf.int32), tf.cast(width, tf.int32)])
            same = tf.reduce_all(tf.equal(size, [self.height, self.width]))
            image = tf.cond(same, lambda: image, lambda: tf.image.resize(image, size, "bicubic"))
        image = tf.clip_by_value(image, 0.0, 1.0)
        return image[:, top:top + tile_height, left:left + tile_width]

    def get_config(self):
        return {"name": self.name, "height": self.height, "width": self.width, "seed": self.seed,
                "batch": self.batch}


@keras.saving.register_keras_serializable(package="tfart")
class PixelImage(_FixedSizeImage):
    """Pixels as sigmoid(logits): [batch, H, W, 3] float32 in [0, 1]; the logits are the weights."""

    def __init__(self, height, width, seed=0, std=0.01, **kwargs):
        super().__init__(height, width, seed, **kwargs)
        self.std = float(std)
        self.logits = self.add_weight(shape=(self.batch, self.height, self.width, 3), name="logits",
                                      initializer=keras.initializers.RandomNormal(stddev=self.std, seed=self.seed))

    def full_image(self):
        return tf.sigmoid(self.logits)

    def assign_image(self, image):
        """Start from an image [1, H, W, 3] in [0, 1] (e.g. the content photograph); every
        member of a batch starts from it."""
        image = tf.clip_by_value(tf.convert_to_tensor(image, tf.float32), 1e-3, 1 - 1e-3)
        self.logits.assign(tf.broadcast_to(tf.math.log(image / (1 - image)), self.logits.shape))

    def get_config(self):
        return {**super().get_config(), "std": self.std}


@keras.saving.register_keras_serializable(package="tfart")
class FFTImage(_FixedSizeImage):
    """An image kept as its Fourier spectrum with 1/f^decay scaling, in decorrelated colour.

    The spectrum [3, H, W//2+1] (real and imaginary parts) is the weight; scaling each frequency
    by 1/f makes gradient steps equal in every octave, which is why it optimizes to natural-looking
    images where plain pixels give high-frequency noise. Output [1, H, W, 3] float32 in [0, 1].
    """

    def __init__(self, height, width, seed=0, std=0.01, decay=1.0, **kwargs):
        super().__init__(height, width, seed, **kwargs)
        self.std, self.decay = float(std), float(decay)
        shape = (2, self.batch, 3, self.height, self.width // 2 + 1)
        self.spectrum = self.add_weight(shape=shape, name="spectrum",
                                        initializer=keras.initializers.RandomNormal(stddev=self.std, seed=self.seed))

    def _scale(self):
        fy = np.fft.fftfreq(self.height)[:, None]
        fx = np.fft.rfftfreq(self.width)[None, :]
        freq = np.sqrt(fx * fx + fy * fy)
        scale = 1.0 / np.maximum(freq, 1.0 / max(self.height, self.width)) ** self.decay
        # x sqrt(HW) undoes the 1/(HW) of the inverse FFT up to the usual sqrt(HW) of unit noise,
        # so step sizes do not depend on the image size; /4 keeps the start near mid-grey.
        return tf.constant(scale * np.sqrt(self.height * self.width) / 4.0, tf.float32)

    def full_image(self):
        spectrum = tf.complex(self.spectrum[0], self.spectrum[1]) * tf.cast(self._scale(), tf.complex64)
        channels = tf.signal.irfft2d(spectrum, fft_length=[self.height, self.width])  # [B, 3, H, W]
        return decorrelated_to_rgb(tf.transpose(channels, [0, 2, 3, 1]))

    def assign_image(self, image):
        """Start from an image [1, H, W, 3] in [0, 1]: invert the sigmoid, colour mix and scaling
        (every member of a batch starts from it)."""
        image = tf.clip_by_value(tf.convert_to_tensor(image, tf.float32), 1e-3, 1 - 1e-3)
        logits = tf.math.log(image / (1 - image))
        decorrelated = tf.tensordot(logits, np.linalg.inv(COLOUR_MIX.T).astype(np.float32), axes=1)
        spectrum = tf.signal.rfft2d(tf.transpose(decorrelated, [0, 3, 1, 2]))
        spectrum = spectrum / tf.cast(self._scale(), tf.complex64)
        spectrum = tf.stack([tf.math.real(spectrum), tf.math.imag(spectrum)])
        self.spectrum.assign(tf.broadcast_to(spectrum, self.spectrum.shape))

    def get_config(self):
        return {**super().get_config(), "std": self.std, "decay": self.decay}
