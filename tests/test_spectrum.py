import numpy as np

from tfart.spectrum import high_frequency_share


def test_high_frequency_share_separates_smooth_from_fine():
    y, x = np.mgrid[0:64, 0:64] / 64.0
    smooth = np.sin(2 * np.pi * x)            # 1 cycle per image
    checker = (-1.0) ** (np.arange(64)[:, None] + np.arange(64)[None, :])  # Nyquist
    assert high_frequency_share(smooth) < 1e-6
    assert high_frequency_share(checker) > 0.999
    assert high_frequency_share(np.zeros((8, 8, 3))) == 0.0
