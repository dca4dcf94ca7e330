"""Differentiable image generators sharing one interface (see base.Generator)."""
from tfart.errors import UserError
from tfart.generators.base import Generator
from tfart.generators.cppn import CPPN
from tfart.generators.fourier import FourierCPPN
from tfart.generators.pixel import FFTImage, PixelImage

PARAMETERIZATIONS = {"cppn": CPPN, "fourier_cppn": FourierCPPN, "pixel": PixelImage, "fft": FFTImage}


def make(parameterization, height=None, width=None, **kwargs):
    """Build a generator by name: 'cppn', 'fourier_cppn' (any size) or 'pixel', 'fft' (H x W)."""
    if parameterization not in PARAMETERIZATIONS:
        raise UserError(f"--parameterization: unknown {parameterization!r}; "
                        f"choose from {', '.join(PARAMETERIZATIONS)}")
    cls = PARAMETERIZATIONS[parameterization]
    if cls in (PixelImage, FFTImage):
        return cls(height, width, **{k: v for k, v in kwargs.items() if k == "seed"})
    if cls is CPPN:
        kwargs.pop("reference_size", None)  # only the Fourier-CPPN has a reference canvas
    return cls(**kwargs)
