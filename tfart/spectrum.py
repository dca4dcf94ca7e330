"""Measurements of an image's frequency content (how much fine detail a generator draws)."""
import numpy as np


def high_frequency_share(image, cutoff=0.5):
    """Share of the spectral energy above `cutoff` x Nyquist: a float in [0, 1].

    image: [H, W, 3] or [H, W] array. The mean (DC) is removed from each channel and the power
    spectra of the channels are summed; a frequency counts as high when its radius in cycles per
    pixel exceeds cutoff * 0.5. Returns 0 for a flat image.
    """
    image = np.asarray(image, np.float64)
    if image.ndim == 2:
        image = image[..., None]
    image = image - image.mean(axis=(0, 1), keepdims=True)
    power = (np.abs(np.fft.fft2(image, axes=(0, 1))) ** 2).sum(axis=-1)
    fy = np.fft.fftfreq(image.shape[0])[:, None]
    fx = np.fft.fftfreq(image.shape[1])[None, :]
    radius = np.sqrt(fx ** 2 + fy ** 2)
    total = power.sum()
    return float(power[radius > cutoff * 0.5].sum() / total) if total > 0 else 0.0
