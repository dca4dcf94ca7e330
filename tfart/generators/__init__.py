"""Differentiable image generators sharing one interface (see base.Generator)."""
import inspect

from tfart.errors import UserError
from tfart.generators.base import Generator
from tfart.generators.cppn import CPPN
from tfart.generators.fourier import FourierCPPN
from tfart.generators.hashgrid import HashGrid
from tfart.generators.nca import NCA
from tfart.generators.pixel import FFTImage, PixelImage
from tfart.generators.strokes import Strokes

# The parameterizations of an image (style transfer, feature visualization), and every generator
# an optimization job can make (perception engines also draw with strokes).
PARAMETERIZATIONS = {"cppn": CPPN, "fourier_cppn": FourierCPPN, "hashgrid": HashGrid, "pixel": PixelImage,
                     "fft": FFTImage, "nca": NCA}
GENERATORS = {**PARAMETERIZATIONS, "strokes": Strokes}
# A CPPN made to be optimized starts smooth. The CPPN's own defaults draw crisp random art, but
# such a network fits a photograph about 3x worse: 200 Adam steps at lr 0.01 on skimage:chelsea at
# 128 px leave a pixel MSE of 0.0175 (art defaults) against 0.0058 (these), and the Fourier-CPPN
# 0.0134 against 0.0049.
# Smoother still blurs a photo away (23 dB, no cat): the style-transfer recipes override this with
# Gaussian Fourier features (style_transfer.FOURIER_FEATURES, 33.5 dB).
SMOOTH_START = {"depth": 6, "init_scale": 3.0, "coord_scale": 2.0, "z_scale": 1.0}


def make(parameterization, height=None, width=None, **kwargs):
    """Build a generator by name: 'cppn', 'fourier_cppn', 'hashgrid', 'strokes' (any size) or 'pixel',
    'fft' (H x W), or 'nca' (a cellular automaton whose training grid is H x W).

    This is the factory of the optimization jobs: a CPPN or Fourier-CPPN starts from SMOOTH_START
    unless the keyword arguments say otherwise. Keyword arguments that only some generators take
    (`grid`, `reference_size`, `frequencies` for the Fourier-CPPN; all but `seed`, `batch`, `std` and, for FFT,
    `decay` for pixel and FFT images; strokes and hash grids take only their own) are dropped for
    the others. A Fourier-CPPN's reference canvas, and a hash grid's finest level (in cells), is
    the H x W canvas's shorter side unless given.
    """
    if parameterization not in GENERATORS:
        raise UserError(f"--parameterization: unknown {parameterization!r}; "
                        f"choose from {', '.join(GENERATORS)}")
    cls = GENERATORS[parameterization]
    if cls is HashGrid and height and width:
        # One cell per pixel at the finest level: finer cells are sampled less than once each, and
        # their corners, never seen at a pixel centre, show as a dotted mesh when rendered larger.
        kwargs.setdefault("finest", max(kwargs.get("coarsest", 8), min(height, width)))
    if cls in (Strokes, HashGrid):  # resolution-free, with parameters of their own
        takes = inspect.signature(cls.__init__).parameters
        return cls(**{k: v for k, v in kwargs.items() if k in takes})
    if cls in (PixelImage, FFTImage, NCA):
        takes = set(inspect.signature(cls.__init__).parameters) - {"height", "width"}
        if cls is not NCA:
            takes.add("batch")  # the base class's
        return cls(height, width, **{k: v for k, v in kwargs.items() if k in takes})
    if cls is CPPN:
        for only_fourier in ("reference_size", "grid", "frequencies"):
            kwargs.pop(only_fourier, None)
    elif height and width:
        kwargs.setdefault("reference_size", min(height, width))
    return cls(**{**SMOOTH_START, **kwargs})

